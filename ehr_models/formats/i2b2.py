"""The i2b2 2009 medication challenge entry format: one medication entry a line, fields split by ``||``::

    m="lasix" 12:3 12:3||do="40 mg" 12:4 12:5||mo="po" 12:6 12:6||f="bid" 12:7 12:7||du="nm"||r="nm"||ln="list"

A field is ``code="text"`` followed by ``LINE:TOKEN LINE:TOKEN`` (first and last token, both inclusive), lines
counted from 1 and tokens from 0 by splitting each line of the note on whitespace; several offset pairs are joined by
``,`` (a phrase broken across text, or several values whose texts are joined by ``...``). ``nm`` means "not
mentioned". Fields other than m, do, mo, f, du and r (``ln``: list or narrative) are kept as plain values.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TextIO

from ehr_models.formats.examples import Document
from ehr_models.formats.medication_json import LABELS

FIELDS = ("m", "do", "mo", "f", "du", "r")
NOT_MENTIONED = "nm"
_FIELD = re.compile(r'^\s*(\w+)="(.*)"\s*((?:\d+:\d+\s+\d+:\d+\s*,?\s*)*)$', re.S)
_PAIR = re.compile(r"(\d+):(\d+)\s+(\d+):(\d+)")

Position = tuple[int, int]  # (line from 1, token from 0)
CharEntry = dict[str, list[tuple[int, int]]]  # field code -> character spans


@dataclass(frozen=True)
class Phrase:
    text: str
    start: Position
    end: Position  # last token, inclusive


@dataclass
class Entry:
    fields: dict[str, list[Phrase]] = field(default_factory=dict)  # code -> phrases (absent or empty: nm)
    other: dict[str, str] = field(default_factory=dict)  # ln="list" and any other plain field


def parse_entry(line: str) -> Entry:
    """Parse one entry line; raises ``ValueError`` on a field that is not ``code="text" offsets``."""
    entry = Entry()
    for number, part in enumerate(line.strip().split("||")):
        match = _FIELD.match(part)
        if not match:
            raise ValueError(f"entry field {number} is not code=\"text\" offsets")
        code, text, offsets = match.groups()
        pairs = [tuple(map(int, p)) for p in _PAIR.findall(offsets)]
        if code not in FIELDS:
            entry.other[code] = text
            continue
        if text == NOT_MENTIONED and not pairs:
            continue
        texts = text.split("...") if len(pairs) > 1 and text.count("...") == len(pairs) - 1 else [text] * len(pairs)
        entry.fields[code] = [Phrase(t, (a, b), (c, d)) for t, (a, b, c, d) in zip(texts, pairs)]
    if not entry.fields.get("m"):
        raise ValueError("entry has no medication (m) field")
    return entry


def read_entries(path: Path | str) -> list[Entry]:
    with open(path, encoding="utf-8") as handle:
        return [parse_entry(line) for line in handle if line.strip()]


def format_entry(entry: Entry) -> str:
    """The entry as one line (the reverse of ``parse_entry``); absent fields are written ``nm``."""
    parts = []
    for code in FIELDS:
        phrases = entry.fields.get(code) or []
        if not phrases:
            parts.append(f'{code}="{NOT_MENTIONED}"')
            continue
        offsets = ",".join(f"{p.start[0]}:{p.start[1]} {p.end[0]}:{p.end[1]}" for p in phrases)
        parts.append(f'{code}="{"...".join(p.text for p in phrases)}" {offsets}')
    parts.extend(f'{code}="{value}"' for code, value in entry.other.items())
    return "||".join(parts)


def write_entries(entries: Iterable[Entry], handle: TextIO) -> None:
    for entry in entries:
        handle.write(format_entry(entry) + "\n")


class LineTokens:
    """A note's whitespace tokens by line, for converting ``LINE:TOKEN`` positions to character offsets and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: list[list[tuple[int, int]]] = []
        offset = 0
        for line in text.split("\n"):
            self.lines.append([(m.start() + offset, m.end() + offset) for m in re.finditer(r"\S+", line)])
            offset += len(line) + 1
        self._flat = [(start, end, n + 1, t) for n, line in enumerate(self.lines) for t, (start, end) in
                      enumerate(line)]
        self._starts = [item[0] for item in self._flat]

    def char_span(self, phrase: Phrase) -> tuple[int, int]:
        """``(start, end)`` of a phrase; raises ``ValueError`` for a position outside the text."""
        try:
            return self.lines[phrase.start[0] - 1][phrase.start[1]][0], self.lines[phrase.end[0] - 1][phrase.end[1]][1]
        except IndexError as error:
            raise ValueError(f"position {phrase.start}-{phrase.end} outside the note") from error

    def phrase(self, start: int, end: int) -> Phrase:
        """The phrase of the whitespace tokens that share a character with ``[start, end)``."""
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        if self._flat[first][1] <= start:
            first += 1
        last = max(bisect.bisect_left(self._starts, end) - 1, first)
        a, b = self._flat[first], self._flat[last]
        return Phrase(self.text[a[0]:b[1]], (a[2], a[3]), (b[2], b[3]))


def char_entries(text: str, entries: Iterable[Entry]) -> list[CharEntry]:
    """Entries with character spans instead of line:token positions."""
    tokens = LineTokens(text)
    return [{code: [tokens.char_span(p) for p in phrases] for code, phrases in entry.fields.items() if phrases}
            for entry in entries]


def to_document(document_id: str, text: str, entries: Iterable[Entry]) -> Document:
    """A common-form document: every phrase a span (labels: medication, dosage...), medication -> attribute links."""
    spans: dict[tuple[int, int, str], int] = {}
    links = set()
    for entry in char_entries(text, entries):
        ids = {code: [spans.setdefault((s, e, LABELS[code]), len(spans)) for s, e in values]
               for code, values in entry.items()}
        links.update((head, tail) for head in ids.get("m", []) for code in FIELDS[1:] for tail in ids.get(code, []))
    return Document(document_id, text, tuple(spans), tuple(sorted(links)))


def document_entries(document: Document) -> list[CharEntry]:
    """Entries from a common-form document: one per medication span, with the attributes it links to."""
    codes = {label: code for code, label in LABELS.items()}
    tails: dict[int, list[int]] = {}
    for head, tail in document.links:
        tails.setdefault(head, []).append(tail)
    entries = []
    for i, (start, end, label) in enumerate(document.spans):
        if label != "medication":
            continue
        entry: CharEntry = {"m": [(start, end)]}
        for tail in tails.get(i, []):
            t_start, t_end, t_label = document.spans[tail]
            entry.setdefault(codes[t_label], []).append((t_start, t_end))
        entries.append(entry)
    return entries


def entries_from_document(document: Document) -> list[Entry]:
    """``document_entries`` as i2b2 entries with LINE:TOKEN positions (for writing an entries file)."""
    tokens = LineTokens(document.text)
    return [Entry({code: [tokens.phrase(s, e) for s, e in spans] for code, spans in entry.items()})
            for entry in document_entries(document)]
