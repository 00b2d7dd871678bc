"""The project's medication annotation format (see ``shared/annotation/medication-guidelines.md``).

One JSON object per line::

    {"source": "mtsamples", "note_id": "123",
     "entities": [{"id": "T1", "type": "m", "start": 10, "end": 17, "text": "lasix"}, ...],
     "entries":  [{"m": "T1", "do": ["T2"], "mo": [], "f": [], "du": [], "r": []}, ...]}

Types use the i2b2 2009 codes; ``LABELS`` maps them to the output contract's label names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

LABELS = {"m": "medication", "do": "dosage", "mo": "route", "f": "frequency", "du": "duration", "r": "reason"}
ATTRIBUTE_CODES = ("do", "mo", "f", "du", "r")


@dataclass(frozen=True)
class GoldEntity:
    id: str
    label: str  # contract label name, e.g. "medication"
    start: int
    end: int
    text: str


@dataclass
class GoldNote:
    source: str
    note_id: str
    entities: list[GoldEntity] = field(default_factory=list)
    # (medication entity id, attribute entity id)
    relations: list[tuple[str, str]] = field(default_factory=list)


def parse_line(line: str) -> GoldNote:
    """Parse one annotation line; raises ``ValueError`` on an unknown type or a dangling entry id."""
    raw = json.loads(line)
    note = GoldNote(source=raw.get("source", ""), note_id=str(raw["note_id"]))
    for item in raw.get("entities", []):
        if item["type"] not in LABELS:
            raise ValueError(f"note {note.note_id}: unknown entity type {item['type']!r}")
        note.entities.append(
            GoldEntity(item["id"], LABELS[item["type"]], int(item["start"]), int(item["end"]), item["text"])
        )
    ids = {entity.id for entity in note.entities}
    for entry in raw.get("entries", []):
        if entry["m"] not in ids:
            raise ValueError(f"note {note.note_id}: entry references unknown medication id {entry['m']!r}")
        for code in ATTRIBUTE_CODES:
            for tail in entry.get(code, []):
                if tail not in ids:
                    raise ValueError(f"note {note.note_id}: entry references unknown id {tail!r}")
                note.relations.append((entry["m"], tail))
    return note


def read_annotations(paths: Iterable[Path]) -> Iterator[GoldNote]:
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield parse_line(line)


def check_against_text(note: GoldNote, text: str) -> list[str]:
    """Return problems (empty when the annotation is consistent with the note text). Messages carry ids only."""
    problems = []
    for entity in note.entities:
        span = text[entity.start : entity.end]
        if span != entity.text:
            problems.append(f"{note.note_id}/{entity.id}: text does not match note[start:end]")
        elif span != span.strip() or not span:
            problems.append(f"{note.note_id}/{entity.id}: span has surrounding whitespace or is empty")
    medication_ids = {entity.id for entity in note.entities if entity.label == "medication"}
    linked = {head for head, _ in note.relations}
    attributes = {entity.id for entity in note.entities if entity.label != "medication"}
    orphan = attributes - {tail for _, tail in note.relations}
    if orphan:
        problems.append(f"{note.note_id}: attributes with no medication: {sorted(orphan)}")
    if not linked <= medication_ids:
        problems.append(f"{note.note_id}: entry heads that are not medications: {sorted(linked - medication_ids)}")
    return problems
