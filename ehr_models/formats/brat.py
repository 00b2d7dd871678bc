"""brat standoff: ``NAME.txt`` with ``NAME.ann`` beside it (PHEE is distributed this way).

``.ann`` lines, tab-separated::

    T3<TAB>Drug 79 91<TAB>methotrexate               text-bound entity; fragments "0 10;22 32" when discontinuous
    E1<TAB>Adverse_event:T5 arg:T3 arg2:T4           event: type:trigger, then role:argument pairs
    R1<TAB>has Arg1:T9 Arg2:T15                      binary relation
    A1<TAB>Severity E1 High                          attribute of an entity or event (value optional)
    #1<TAB>AnnotatorNotes T3<TAB>...                 notes (skipped)

Offsets are ``str`` offsets into the ``.txt`` text, end exclusive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, TextIO

from ehr_models.formats.examples import Document, relabel

logger = logging.getLogger(__name__)

# PHEE's types for the project's medication labels (shared/annotation/medication-guidelines.md).
PHEE_LABELS = {"Drug": "medication", "Dosage": "dosage", "Route": "route", "Freq": "frequency",
               "Duration": "duration", "Treat-Disorder": "reason"}
_PHEE_ATTRIBUTES = ("Dosage", "Route", "Freq", "Duration")


@dataclass(frozen=True)
class BratEntity:
    id: str
    type: str
    fragments: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        return min(start for start, _ in self.fragments)

    @property
    def end(self) -> int:
        return max(end for _, end in self.fragments)


@dataclass(frozen=True)
class BratEvent:
    id: str
    type: str
    trigger: str
    arguments: tuple[tuple[str, str], ...] = ()  # (role, entity or event id)


@dataclass(frozen=True)
class BratRelation:
    id: str
    type: str
    arguments: tuple[tuple[str, str], ...]  # (("Arg1", id), ("Arg2", id))


@dataclass(frozen=True)
class BratAttribute:
    id: str
    type: str
    target: str
    value: str = ""


@dataclass
class BratDocument:
    id: str
    text: str
    entities: dict[str, BratEntity] = field(default_factory=dict)
    events: list[BratEvent] = field(default_factory=list)
    relations: list[BratRelation] = field(default_factory=list)
    attributes: list[BratAttribute] = field(default_factory=list)


def _pairs(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(item.split(":", 1)) for item in items if item)  # type: ignore[misc]


def parse_ann(lines: Iterable[str], document: BratDocument) -> BratDocument:
    """Add the annotations of ``.ann`` lines to ``document``; raises ``ValueError`` (with the line number)."""
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        try:
            kind = parts[0][0]
            if kind == "T":
                label, _, offsets = parts[1].partition(" ")
                fragments = tuple((int(a), int(b)) for a, b in (f.split() for f in offsets.split(";")))
                document.entities[parts[0]] = BratEntity(parts[0], label, fragments,
                                                         parts[2] if len(parts) > 2 else "")
            elif kind == "E":
                head, *rest = parts[1].split(" ")
                label, _, trigger = head.partition(":")
                document.events.append(BratEvent(parts[0], label, trigger, _pairs(rest)))
            elif kind == "R":
                label, *rest = parts[1].split(" ")
                document.relations.append(BratRelation(parts[0], label, _pairs(rest)))
            elif kind in "AM":
                label, target, *value = parts[1].split(" ")
                document.attributes.append(BratAttribute(parts[0], label, target, " ".join(value)))
            # N (normalizations) and other kinds carry nothing a tagger uses.
        except (IndexError, ValueError) as error:
            raise ValueError(f"{document.id}.ann: malformed line {number}") from error
    return document


def read_document(txt_path: Path | str) -> BratDocument:
    """One document from ``NAME.txt`` and ``NAME.ann`` (an absent ``.ann`` means no annotations)."""
    txt_path = Path(txt_path)
    with open(txt_path, encoding="utf-8", newline="") as handle:
        document = BratDocument(txt_path.stem, handle.read())
    ann_path = txt_path.with_suffix(".ann")
    if ann_path.exists():
        with open(ann_path, encoding="utf-8", newline="") as handle:
            parse_ann(handle, document)
    return document


def read_directory(directory: Path | str) -> list[BratDocument]:
    """Every ``*.txt`` document under ``directory`` (recursively), sorted by path."""
    return [read_document(path) for path in sorted(Path(directory).rglob("*.txt"))]


def write_ann(document: BratDocument, handle: TextIO) -> None:
    """Write ``document``'s annotations as ``.ann`` lines (the reverse of ``parse_ann``)."""
    for entity in document.entities.values():
        offsets = ";".join(f"{start} {end}" for start, end in entity.fragments)
        handle.write(f"{entity.id}\t{entity.type} {offsets}\t{entity.text}\n")
    for event in document.events:
        arguments = "".join(f" {role}:{target}" for role, target in event.arguments)
        handle.write(f"{event.id}\t{event.type}:{event.trigger}{arguments}\n")
    for relation in document.relations:
        arguments = " ".join(f"{role}:{target}" for role, target in relation.arguments)
        handle.write(f"{relation.id}\t{relation.type} {arguments}\n")
    for attribute in document.attributes:
        value = f" {attribute.value}" if attribute.value else ""
        handle.write(f"{attribute.id}\t{attribute.type} {attribute.target}{value}\n")


def entity_spans(document: BratDocument) -> tuple[list[tuple[int, int, str]], dict[str, int]]:
    """One span per fragment of every entity, and each entity id's first span index."""
    spans, first = [], {}
    for entity in document.entities.values():
        first[entity.id] = len(spans)
        spans.extend((start, end, entity.type) for start, end in entity.fragments)
    return spans, first


def to_document(document: BratDocument, labels: Mapping[str, str] | None = None) -> Document:
    """A common-form document: every entity fragment as a span, relabelled by ``labels`` (others dropped), and the
    relations whose two arguments survive as links (Arg1 -> Arg2)."""
    kept = {e.id: e for e in document.entities.values() if labels is None or e.type in labels}
    spans, index = [], {}
    for entity in kept.values():
        index[entity.id] = len(spans)
        spans.extend(relabel(((s, e, entity.type) for s, e in entity.fragments), labels))
    links = []
    for relation in document.relations:
        ends = dict(relation.arguments)
        if ends.get("Arg1") in index and ends.get("Arg2") in index:
            links.append((index[ends["Arg1"]], index[ends["Arg2"]]))
    return Document(document.id, document.text, tuple(spans), tuple(links))


def _inside(inner: BratEntity, outer: BratEntity) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def phee_medication_document(document: BratDocument) -> Document:
    """PHEE as the project's medication labels, with drug -> attribute links.

    PHEE ties a drug to its attributes by nesting them in one ``Treatment`` span ("daily administration of 200 mg of
    ITCZ"), and a treatment to the disorder it treats by a ``has`` relation; every drug of a treatment gets every
    attribute inside it and every disorder it ``has``.
    """
    entities = [e for e in document.entities.values() if e.type in PHEE_LABELS]
    index = {e.id: i for i, e in enumerate(entities)}
    spans = tuple((e.start, e.end, PHEE_LABELS[e.type]) for e in entities)
    reasons: dict[str, list[str]] = {}
    for relation in document.relations:
        ends = dict(relation.arguments)
        if relation.type == "has" and ends.get("Arg2") in index:
            reasons.setdefault(ends.get("Arg1", ""), []).append(ends["Arg2"])
    links = set()
    for treatment in (e for e in document.entities.values() if e.type == "Treatment"):
        inside = [e for e in entities if _inside(e, treatment)]
        for drug in (e for e in inside if e.type == "Drug"):
            tails = [e.id for e in inside if e.type in _PHEE_ATTRIBUTES] + reasons.get(treatment.id, [])
            links.update((index[drug.id], index[tail]) for tail in tails)
    return Document(document.id, document.text, spans, tuple(sorted(links)))
