"""The note record every stage passes along, and errors that are safe to report (ids, never note text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Metadata keys a source may fill; they become nullable columns of OUTPUT/notes.
META_KEYS = ("patient_id", "encounter_id", "note_date", "category")


class OffsetsBack(Protocol):
    def to_original(self, start: int, end: int) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Deidentified:
    """A note's de-identified text, its PHI spans (ORIGINAL offsets, labels only) and the map back."""

    text: str
    phi: tuple[tuple[int, int, str], ...]
    offsets: OffsetsBack


@dataclass(frozen=True)
class Note:
    note_id: str
    text: str  # the ORIGINAL text: every offset written anywhere indexes it
    source: str  # where it came from (a path or URL, plus archive member / row where relevant)
    encoding: str = "utf-8"  # how its bytes were decoded: "utf-8", "cp1252" or "utf-8+replace"
    meta: dict[str, str] = field(default_factory=dict)
    deid: Deidentified | None = None

    @property
    def working_text(self) -> str:
        """What models read: the de-identified text once de-identification has run, else the original."""
        return self.deid.text if self.deid is not None else self.text

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of a span of ``working_text`` in the original text."""
        return self.deid.offsets.to_original(start, end) if self.deid is not None else (start, end)

    def overlaps_phi(self, start: int, end: int) -> bool:
        """Whether an ORIGINAL-offset span touches PHI (such a span must never be written out)."""
        return self.deid is not None and any(start < e and s < end for s, e, _ in self.deid.phi)


class NoteError(Exception):
    """An error whose message is built from ids and counts only, so it may be logged and stored.

    Code that raises it must never put note text in ``message``; other exceptions are reported by type alone.
    """

    def __init__(self, message: str, error_type: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type or type(self).__name__


class BinaryContent(NoteError):
    pass


class EmptyNote(NoteError):
    pass


class NoteTooLarge(NoteError):
    pass


class CorruptInput(NoteError):
    """A compressed file or archive that is truncated or damaged."""


def safe_message(error: BaseException) -> str:
    """A message for an error row: our own messages, or the exception type alone (its text may quote a note)."""
    if isinstance(error, NoteError):
        return error.message
    return f"{type(error).__name__} (details withheld: they may contain note text)"


def error_type(error: BaseException) -> str:
    return error.error_type if isinstance(error, NoteError) else type(error).__name__
