"""The default medication annotator: the packaged NER tagger (with the rules for the labels where they measured
better), then a linker for medication -> attribute relations.

``sources`` says where each label's entities come from: ``"tagger"``, ``"rules"``, or ``"union"`` (the tagger's,
plus the rules' that overlap nothing the tagger found). The packaged model's ``hybrid.json`` holds the choice made
on the internal dev split; a config can override it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

from ehr_models import __version__
from ehr_models.annotation import LABELS, Annotation, Entity
from ehr_models.relations import build_linker, default_linker_config
from ehr_models.relations.linker import link_all
from ehr_models.tagging.annotator import TaggerAnnotator

logger = logging.getLogger(__name__)

SOURCES = ("tagger", "rules", "union")


def default_model_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "resources" / "models" / "medication-ner"


def packaged_sources(model: Path | str) -> dict[str, str]:
    """The per-label sources stored with a model (``hybrid.json``); the tagger for every label when absent."""
    path = Path(model) / "hybrid.json"
    sources = json.loads(path.read_text(encoding="utf-8"))["sources"] if path.exists() else {}
    return {label: sources.get(label, "tagger") for label in LABELS}


def _overlaps(entity: Entity, others: Sequence[Entity]) -> bool:
    return any(entity.start < o.end and o.start < entity.end for o in others)


def combine(tagged: Sequence[Entity], ruled: Sequence[Entity], sources: dict[str, str]) -> list[Entity]:
    """Entities per ``sources``, in text order; a rules entity never overlaps a tagger entity kept."""
    kept = [e for e in tagged if sources.get(e.label, "tagger") in ("tagger", "union")]
    extra = [e for e in ruled if sources.get(e.label, "tagger") in ("rules", "union") and not _overlaps(e, kept)]
    return sorted(kept + extra, key=lambda e: (e.start, e.end))


class MedicationAnnotator:
    """Text -> medications, attributes and their relations. ``predict`` is pure; models load on first use.

    ``threads``: torch intra-op threads for the tagger and the relation model (``None``: leave torch's setting,
    one per core). One by default because pipelines parallelise across worker processes: torch threads on top
    fight over the same cores, and on a busy 2-core box two threads ran the annotator 10x slower than one
    (BENCHMARKS.md, "Speed of the default medication annotator").
    """

    name = "medication"

    def __init__(self, model: str | None = None, sources: dict[str, str] | None = None,
                 linker: dict | str | None = None, threads: int | None = 1) -> None:
        self.model = model
        self.sources = sources
        self.linker = linker
        self.threads = threads
        self._ner: TaggerAnnotator | None = None
        self._rules = None
        self._linker = None
        self._sources: dict[str, str] | None = None

    @property
    def version(self) -> str:
        return f"{__version__}+ner-{self.ner.version}"

    @property
    def ner(self) -> TaggerAnnotator:
        if self._ner is None:
            self._ner = TaggerAnnotator(str(self.model or default_model_dir()), threads=self.threads)
        return self._ner

    @property
    def label_sources(self) -> dict[str, str]:
        if self._sources is None:
            sources = {**packaged_sources(self.model or default_model_dir()), **(self.sources or {})}
            unknown = {s for s in sources.values() if s not in SOURCES}
            if unknown:
                raise ValueError(f"unknown label sources {sorted(unknown)}; known: {', '.join(SOURCES)}")
            self._sources = sources
        return self._sources

    def _rules_needed(self) -> bool:
        return any(source != "tagger" for source in self.label_sources.values())

    @property
    def rules(self):
        if self._rules is None:
            from ehr_models.rules import RuleAnnotator

            self._rules = RuleAnnotator()
        return self._rules

    @property
    def relation_linker(self):
        if self._linker is None:
            self._linker = build_linker(self.linker or default_linker_config())
        return self._linker

    def warm_up(self) -> None:
        """Load the tagger, the linker and (when a label uses them) the rules now instead of on the first note."""
        self.ner.warm_up()
        _ = self.relation_linker
        if self._rules_needed():
            self.rules.warm_up()

    def to_dict(self) -> dict:
        return {"type": "medication", "model": None if self.model is None else str(self.model),
                "sources": self.sources, "linker": self.linker, "threads": self.threads}

    @classmethod
    def from_dict(cls, config: dict) -> "MedicationAnnotator":
        return cls(config.get("model"), config.get("sources"), config.get("linker"), config.get("threads", 1))

    def predict(self, text: str) -> Annotation:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[Annotation]:
        """One annotation per text; the tagger sees all the texts' sentences in shared batches, and the linker
        all their candidate pairs."""
        tagged = self.ner.predict_batch(texts)
        rules_needed = self._rules_needed()
        entity_lists = [combine(annotation.entities, self.rules.predict(text).entities if rules_needed else [],
                                self.label_sources) for text, annotation in zip(texts, tagged)]
        relations = link_all(self.relation_linker, texts, entity_lists)
        return [Annotation(entities, found) for entities, found in zip(entity_lists, relations)]
