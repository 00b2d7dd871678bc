"""The linker interface and its factory: ``build_linker({"type": "nearest"})`` or ``{"type": "model", "model": DIR}``.

A linker takes a text and its entities (in text order, from any NER) and returns medication -> attribute
relations; it never adds or drops entities.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable

from ehr_models import __version__
from ehr_models.annotation import Entity, Relation
from ehr_models.rules.linking import attach

logger = logging.getLogger(__name__)

PACKAGED_MODEL = Path(__file__).resolve().parents[1] / "resources" / "models" / "medication-relations"
_NEAREST_SETTINGS = ("max_distance", "chain_gap", "lead_gap")


@runtime_checkable
class Linker(Protocol):
    """Links attributes to medications. ``link`` is pure: same text and entities in, same relations out."""

    name: str
    version: str

    def link(self, text: str, entities: Sequence[Entity]) -> list[Relation]: ...

    def to_dict(self) -> dict: ...


def link_all(linker: Linker, texts: Sequence[str], entity_lists: Sequence[Sequence[Entity]]) -> list[list[Relation]]:
    """``linker.link`` for each (text, entities): through ``linker.link_batch`` when it has one (the model linker
    scores all the notes' pairs in shared batches), else note by note."""
    batched = getattr(linker, "link_batch", None)
    if batched is not None:
        return batched(texts, entity_lists)
    return [linker.link(text, entities) for text, entities in zip(texts, entity_lists)]


def split_entities(entities: Sequence[Entity]) -> tuple[list[int], list[int]]:
    """Indices of the medications (sorted by start) and of the attributes, in ``entities``."""
    medications = sorted((i for i, e in enumerate(entities) if e.label == "medication"),
                         key=lambda i: (entities[i].start, entities[i].end))
    return medications, [i for i, e in enumerate(entities) if e.label != "medication"]


class NearestLinker:
    """The rules baseline's chained nearest-medication attachment (``ehr_models.rules.linking.attach``)."""

    name = "nearest"
    version = __version__

    def __init__(self, max_distance: int = 80, chain_gap: int = 20, lead_gap: int = 12) -> None:
        self.max_distance = max_distance
        self.chain_gap = chain_gap
        self.lead_gap = lead_gap

    def warm_up(self) -> None:
        """Nothing to load (``ModelLinker.warm_up`` loads its model): callers may warm any linker alike."""

    def link(self, text: str, entities: Sequence[Entity]) -> list[Relation]:
        """Relations sorted by (head, tail); attributes no medication can own stay unlinked."""
        medications, attributes = split_entities(entities)
        owners = attach(text, [entities[i] for i in medications], [entities[i] for i in attributes],
                        max_distance=self.max_distance, chain_gap=self.chain_gap, lead_gap=self.lead_gap)
        return sorted((Relation(medications[m], attributes[k], score)
                       for k, found in enumerate(owners) for m, score in found),
                      key=lambda r: (r.head, r.tail))

    def link_batch(self, texts: Sequence[str], entity_lists: Sequence[Sequence[Entity]]) -> list[list[Relation]]:
        """``link`` for each note (no model: nothing to share between notes)."""
        return [self.link(text, entities) for text, entities in zip(texts, entity_lists)]

    def to_dict(self) -> dict:
        return {"type": "nearest", "version": self.version, **{key: getattr(self, key) for key in _NEAREST_SETTINGS}}

    @classmethod
    def from_dict(cls, config: dict) -> "NearestLinker":
        return cls(**{key: config[key] for key in _NEAREST_SETTINGS if key in config})


def build_linker(config: dict | str) -> Linker:
    """A linker from ``{"type": "nearest" | "model", ...}`` (or the bare type); ``KeyError`` for an unknown type."""
    if isinstance(config, str):
        config = {"type": config}
    kind = config.get("type")
    if kind == "nearest":
        return NearestLinker.from_dict(config)
    if kind == "model":
        from ehr_models.relations.predictor import ModelLinker  # torch only when a model is asked for

        return ModelLinker.from_dict(config)
    raise KeyError(f"unknown linker type {kind!r}; available: model, nearest")


def default_linker_config() -> dict:
    """The linker the default medication annotator uses: the packaged relation model when it is installed (it
    measured better than nearest on the held-out gold notes, benchmarks/relations.py), else ``nearest``."""
    if (PACKAGED_MODEL / "config.json").exists():
        return {"type": "model", "model": str(PACKAGED_MODEL)}
    return {"type": "nearest"}
