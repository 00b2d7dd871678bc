"""The PhysioNet deid record format (``id.text``) and its gold PHI spans (``id-phi.phrase``).

A record is ``START_OF_RECORD=PATIENT||||NOTE||||\\n<text>||||END_OF_RECORD``; offsets in ``id-phi.phrase`` are
character offsets into ``<text>``. Note ids are ``PATIENT-NOTE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, TextIO

_HEADER = re.compile(r"START_OF_RECORD=([^|]+)\|\|\|\|([^|]+)\|\|\|\|\n")
_END = "||||END_OF_RECORD"


@dataclass(frozen=True)
class PhysionetRecord:
    patient: str
    note: str
    text: str

    @property
    def note_id(self) -> str:
        return f"{self.patient}-{self.note}"


@dataclass(frozen=True)
class PhiSpan:
    note_id: str
    start: int
    end: int
    label: str


def iter_records(lines: Iterable[str]) -> Iterator[PhysionetRecord]:
    """Yield records from the lines of an ``id.text`` file, streaming (one record in memory at a time)."""
    header: tuple[str, str] | None = None
    body: list[str] = []
    for line in lines:
        if header is None:
            match = _HEADER.match(line if line.endswith("\n") else line + "\n")
            if match:
                header = (match.group(1), match.group(2))
                body = []
            continue
        if _END in line:
            body.append(line[: line.index(_END)])
            yield PhysionetRecord(header[0], header[1], "".join(body))
            header = None
        else:
            body.append(line)


def read_records(handle: TextIO) -> Iterator[PhysionetRecord]:
    # newline="" semantics matter: offsets count "\n" only, so callers open files with newline="\n" or default.
    return iter_records(handle)


def read_phi(lines: Iterable[str]) -> Iterator[PhiSpan]:
    """Yield gold PHI spans from ``id-phi.phrase`` lines (``patient note start end TYPE text``)."""
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) >= 5:
            yield PhiSpan(f"{parts[0]}-{parts[1]}", int(parts[2]), int(parts[3]), parts[4])
