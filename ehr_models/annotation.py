"""What every annotator returns, and the interface the pipeline calls (rules and neural models alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

LABELS = ("medication", "dosage", "route", "frequency", "duration", "reason")
ATTRIBUTE_LABELS = LABELS[1:]


@dataclass(frozen=True)
class Entity:
    """A labelled span; ``start``/``end`` are ``str`` offsets into the annotated text, end exclusive."""

    start: int
    end: int
    label: str
    score: float = 1.0


@dataclass(frozen=True)
class Relation:
    """Links a medication (``head``) to one of its attributes (``tail``) by their indices in ``entities``."""

    head: int
    tail: int
    score: float = 1.0


@dataclass
class Annotation:
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


@runtime_checkable
class Annotator(Protocol):
    """A medication annotator. ``predict`` is pure: same text in, same annotation out."""

    name: str
    version: str

    def predict(self, text: str) -> Annotation: ...

    def to_dict(self) -> dict: ...
