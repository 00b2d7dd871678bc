"""Learn a site's lists from annotated training notes: its clinicians' names, its places, and its vocabulary.

Clinicians and places recur across a site's patients (the same attending, the same wards), so the gold names of
clinicians and the gold place words of the training notes become ``SiteLists``. Words used in the notes of at
least ``min_patients`` patients and never inside a PHI span are ordinary vocabulary for that site (they veto
gazetteer hits). Patient and relative names are not kept: they do not recur, and they are the patients' PHI.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable

from ehr_models.deid.engine import DeidConfig
from ehr_models.deid.gazetteers import SiteLists
from ehr_models.deid.vocabulary import ClinicalVocabulary

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
CLINICIAN_TYPES = frozenset({"HCPName"})
PLACE_TYPES = frozenset({"Location"})


@dataclass(frozen=True)
class TrainingNote:
    """A training note: its patient, its text, and gold ``(start, end, type)`` PHI spans."""

    patient: str
    text: str
    phi: tuple[tuple[int, int, str], ...]


def fit_config(notes: Iterable[TrainingNote], base: DeidConfig | None = None, min_patients: int = 3,
               min_phi_rate: float = 0.5) -> DeidConfig:
    """A copy of ``base`` (default config) with site lists and learned vocabulary from ``notes``.

    A gold word joins a site list only when more than ``min_phi_rate`` of its occurrences in the notes are PHI
    ("St" of "St. Agnes" is mostly sinus tachycardia, so it stays out); place names of several words are kept
    whole as phrases.
    """
    base = base or DeidConfig()
    plain = ClinicalVocabulary(use_drug_lexicon=False)
    kinds: dict[str, set[str]] = defaultdict(set)
    phrases: set[str] = set()
    as_phi: Counter[str] = Counter()
    everywhere: Counter[str] = Counter()
    patients_of: dict[str, set[str]] = defaultdict(set)
    count = 0
    for note in notes:
        count += 1
        for start, end, kind in _joined(note):
            words = [w.lower() for w in _WORD.findall(note.text[start:end])]
            if kind in PLACE_TYPES and len(words) > 1:
                phrases.add(" ".join(words))
            for lowered in words:
                as_phi[lowered] += 1
                kinds[lowered].add(kind)
        for word in _WORD.findall(note.text):
            everywhere[word.lower()] += 1
            patients_of[word.lower()].add(note.patient)

    def site_words(types: frozenset[str], min_chars: int) -> frozenset[str]:
        return frozenset(w for w, k in kinds.items() if k & types and len(w) >= min_chars and not plain.strict(w)
                         and as_phi[w] > min_phi_rate * everywhere[w])

    names, places = site_words(CLINICIAN_TYPES, 3), site_words(PLACE_TYPES, 2)
    vocabulary = frozenset(w for w, who in patients_of.items() if len(who) >= min_patients and w not in as_phi)
    logger.info("fitted site lists on %d notes: %d clinician names, %d places, %d place phrases, %d vocabulary "
                "words", count, len(names), len(places), len(phrases), len(vocabulary))
    return DeidConfig(recognizers=[dict(r) for r in base.recognizers], propagate=base.propagate,
                      drug_veto=base.drug_veto, site=SiteLists(names, places, frozenset(phrases)),
                      learned_vocabulary=base.learned_vocabulary | vocabulary,
                      common_vocabulary=base.common_vocabulary)


def _joined(note: TrainingNote) -> list[tuple[int, int, str]]:
    """Gold spans with neighbours of the same type separated only by spaces or a full stop joined ("Holy" +
    "Cross", "St." + "Agnes")."""
    joined: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(note.phi):
        if joined and joined[-1][2] == kind and not note.text[joined[-1][1] : start].strip(" \t."):
            joined[-1] = (joined[-1][0], end, kind)
        else:
            joined.append((start, end, kind))
    return joined
