"""Labelled notes for the relation model: the gold medication notes and PHEE sentences as entities + relations."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ehr_models.annotation import Entity
from ehr_models.evaluation.gold import GoldDocument


@dataclass(frozen=True)
class LabelledNote:
    """A text, its entities in text order and its gold (medication index, attribute index) relations."""

    id: str
    source: str
    text: str
    entities: tuple[Entity, ...]
    relations: frozenset[tuple[int, int]]


def from_gold(document: GoldDocument) -> LabelledNote:
    ordered = sorted(document.note.entities, key=lambda e: (e.start, e.end))
    index = {e.id: i for i, e in enumerate(ordered)}
    return LabelledNote(document.note.note_id, document.note.source, document.text,
                        tuple(Entity(e.start, e.end, e.label) for e in ordered),
                        frozenset((index[h], index[t]) for h, t in document.note.relations))


def from_phee(directory: Path | str) -> list[LabelledNote]:
    """PHEE sentences (brat) with drug -> attribute links (``ehr_models.formats.brat.phee_medication_document``);
    sentences without a relation are left out."""
    from ehr_models.formats.brat import phee_medication_document, read_directory

    notes = []
    for brat in read_directory(directory):
        document = phee_medication_document(brat)
        order = sorted(range(len(document.spans)), key=lambda i: document.spans[i][:2])
        position = {old: new for new, old in enumerate(order)}
        entities = tuple(Entity(*document.spans[i]) for i in order)
        relations = frozenset((position[h], position[t]) for h, t in document.links
                              if entities[position[h]].label == "medication"
                              and entities[position[t]].label != "medication")
        if relations:
            notes.append(LabelledNote(document.id, "phee", document.text, entities, relations))
    return notes


def with_entities(note: LabelledNote, entities: Sequence[Entity]) -> LabelledNote:
    """The note with other entities (another annotator's): a relation holds where both its spans and labels
    match a gold relation's exactly. Teaches the model what spurious or missing entities look like."""
    def key(entity: Entity) -> tuple[int, int, str]:
        return entity.start, entity.end, entity.label

    gold = {(key(note.entities[h]), key(note.entities[t])) for h, t in note.relations}
    keys = [key(e) for e in entities]
    relations = frozenset((h, t) for h, head in enumerate(keys) for t, tail in enumerate(keys) if (head, tail) in gold)
    return LabelledNote(note.id, note.source, note.text, tuple(entities), relations)


def dev_split(notes: Sequence[LabelledNote], fraction: float, seed: int = 13) -> tuple[list, list]:
    """(train, dev): a stable ``fraction`` of each source's notes, chosen by hashing note ids with ``seed``."""
    if fraction <= 0:
        return list(notes), []

    def rank(note: LabelledNote) -> str:
        return hashlib.sha256(f"{seed}:{note.source}:{note.id}".encode()).hexdigest()

    dev_ids = set()
    for source in sorted({n.source for n in notes}):
        ranked = sorted((n for n in notes if n.source == source), key=rank)
        dev_ids.update((n.source, n.id) for n in ranked[: round(fraction * len(ranked))])
    return ([n for n in notes if (n.source, n.id) not in dev_ids], [n for n in notes if (n.source, n.id) in dev_ids])


def fingerprint(notes: Sequence[LabelledNote]) -> str:
    """sha256 over the annotations (ids, offsets, labels, relations), not the texts."""
    digest = hashlib.sha256()
    for note in sorted(notes, key=lambda n: (n.source, n.id)):
        record = [note.source, note.id, [(e.start, e.end, e.label) for e in note.entities], sorted(note.relations)]
        digest.update(json.dumps(record).encode())
    return "sha256:" + digest.hexdigest()
