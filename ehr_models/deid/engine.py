"""The de-identification engine: recognizers in order, the clinical-vocabulary veto, propagation, one merged list
of PHI spans per note, and the transforms (masking or surrogates) with an offset map back to the original.

    engine = DeidEngine()                                   # default configuration
    spans = engine.find(text)                               # [PhiSpan(start, end, label, ...)] into text
    result = engine.deidentify(text, mode="surrogate", salt=secret, patient_id="p7")
    result.text, result.spans, result.offsets.to_original(s, e)

The configuration (``to_dict``/``from_dict``) is versioned; a site's own lists and learned vocabulary travel in
it. Nothing here logs note text: log records carry counts, and exceptions carry ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ehr_models.deid.dates import DateRecognizer
from ehr_models.deid.gazetteers import SiteLists
from ehr_models.deid.identifiers import IdentifierRecognizer
from ehr_models.deid.locations import LocationRecognizer
from ehr_models.deid.names import NameRecognizer
from ehr_models.deid.phi import PhiSpan, merge
from ehr_models.deid.propagation import neighbours, propagate
from ehr_models.deid.recognizers import NoteContext, Recognizer, build_recognizer, register
from ehr_models.deid.tagger import packaged_available, tagger_recognizer
from ehr_models.deid.transform import DeidResult, mask, surrogate
from ehr_models.deid.vocabulary import ClinicalVocabulary
from ehr_models.records import NoteError

logger = logging.getLogger(__name__)

CONFIG_VERSION = "1"
ENGINE_VERSION = "0.1.0"
RULE_RECOGNIZERS = ({"type": "identifiers"}, {"type": "dates"}, {"type": "names"}, {"type": "locations"})
MODES = ("mask", "surrogate")

for _kind, _factory in (("dates", DateRecognizer.from_dict), ("identifiers", IdentifierRecognizer.from_dict),
                        ("names", NameRecognizer.from_dict), ("locations", LocationRecognizer.from_dict),
                        ("tagger", tagger_recognizer)):
    register(_kind, _factory)


def default_recognizers() -> list[dict]:
    """The rules, plus the packaged PHI tagger when its package is installed (union: a miss is a leak)."""
    tagger = [{"type": "tagger"}] if packaged_available() else []
    return [dict(r) for r in RULE_RECOGNIZERS] + tagger


DEFAULT_RECOGNIZERS = tuple(default_recognizers())


class DeidConfigError(NoteError):
    """A configuration the engine cannot use (wrong version, missing salt); messages name settings, never text."""


@dataclass
class DeidConfig:
    """Everything that decides the engine's output. ``site`` and ``learned_vocabulary`` come from ``fit``."""

    recognizers: list[dict] = field(default_factory=default_recognizers)
    propagate: bool = True
    drug_veto: bool = True
    site: SiteLists = field(default_factory=SiteLists)
    learned_vocabulary: frozenset[str] = frozenset()
    common_vocabulary: bool = True  # words of de-identified clinical text veto weak cues (``vocabulary``)
    version: str = CONFIG_VERSION

    def to_dict(self) -> dict:
        return {"type": "deid", "version": self.version, "engine_version": ENGINE_VERSION,
                "recognizers": [dict(r) for r in self.recognizers], "propagate": self.propagate,
                "drug_veto": self.drug_veto, "site": self.site.to_dict(),
                "learned_vocabulary": sorted(self.learned_vocabulary), "common_vocabulary": self.common_vocabulary}

    @classmethod
    def from_dict(cls, config: dict) -> "DeidConfig":
        version = str(config.get("version", CONFIG_VERSION))
        if version.split(".")[0] != CONFIG_VERSION.split(".")[0]:
            raise DeidConfigError(f"deid config version {version} is not supported (expected {CONFIG_VERSION})")
        return cls(recognizers=[dict(r) for r in config.get("recognizers", DEFAULT_RECOGNIZERS)],
                   propagate=config.get("propagate", True), drug_veto=config.get("drug_veto", True),
                   site=SiteLists.from_dict(config.get("site", {})),
                   learned_vocabulary=frozenset(config.get("learned_vocabulary", ())),
                   common_vocabulary=config.get("common_vocabulary", True), version=version)


class DeidEngine:
    """Finds PHI and de-identifies notes. Build once per process; recognizers are built on first use."""

    def __init__(self, config: DeidConfig | None = None, extra: list[Recognizer] | None = None) -> None:
        self.config = config or DeidConfig()
        self.extra = list(extra or [])  # recognizers built by the caller, e.g. a TaggerRecognizer
        self._recognizers: list[Recognizer] | None = None
        self._vocabulary: ClinicalVocabulary | None = None

    def to_dict(self) -> dict:
        return self.config.to_dict()

    @classmethod
    def from_dict(cls, config: dict) -> "DeidEngine":
        return cls(DeidConfig.from_dict(config))

    @property
    def vocabulary(self) -> ClinicalVocabulary:
        if self._vocabulary is None:
            self._vocabulary = ClinicalVocabulary(self.config.drug_veto, self.config.learned_vocabulary,
                                                  self.config.common_vocabulary)
        return self._vocabulary

    @property
    def recognizers(self) -> list[Recognizer]:
        if self._recognizers is None:
            shared = {"site": self.config.site, "vocabulary": self.vocabulary}
            self._recognizers = [build_recognizer(r, **shared) for r in self.config.recognizers] + self.extra
        return self._recognizers

    def find(self, text: str) -> list[PhiSpan]:
        """PHI spans of ``text``, merged, in text order; offsets index ``text``."""
        return self.find_batch([text])[0]

    def find_batch(self, texts: list[str]) -> list[list[PhiSpan]]:
        """``find`` for many notes: the same spans, with recognizers that batch (the tagger) run once for all."""
        notes = [NoteContext(text) for text in texts]
        for recognizer in self.recognizers:
            batch = getattr(recognizer, "find_batch", None)
            for note, spans in zip(notes, batch(notes) if batch else [recognizer.find(n) for n in notes]):
                note.found.extend(spans)
        if self.config.propagate:
            for note in notes:
                note.found.extend(propagate(note.text, note.found, self.vocabulary))
                note.found.extend(neighbours(note.text, note.found, self.vocabulary))
        return [merge(note.found, note.text) for note in notes]

    def deidentify(self, text: str, mode: str = "mask", salt: str | bytes | None = None,
                   patient_id: str | None = None, note_id: str = "",
                   spans: list[PhiSpan] | None = None) -> DeidResult:
        """De-identified text, the PHI spans (original offsets) and the offset map back to the original.

        ``surrogate`` needs ``salt`` (the caller's secret) and shifts all dates of one ``patient_id`` by the same
        number of days; ``mask`` writes ``[**LABEL**]``. ``spans``: what ``find_batch`` returned for this text
        (callers that batch notes); ``None`` finds them here.
        """
        if mode not in MODES:
            raise DeidConfigError(f"unknown deid mode {mode!r} for note {note_id!r}; use one of {', '.join(MODES)}")
        if spans is None:
            spans = self.find(text)
        if mode == "mask":
            return mask(text, spans)
        if not salt:
            raise DeidConfigError(f"surrogate mode needs a secret salt (note {note_id!r})")
        return surrogate(text, spans, salt, patient_id or note_id)
