"""Propagation: a name or place found once in a note is removed everywhere in it ("Dr. Rakusin ... Rakusin aware")."""

from __future__ import annotations

import re

from ehr_models.deid.phi import LOCATION, NAME, PhiSpan
from ehr_models.deid.vocabulary import ClinicalVocabulary


_INITIAL = re.compile(r"(?<![\w.])[A-Za-z]\.\s?$")


def propagate(text: str, spans: list[PhiSpan], vocabulary: ClinicalVocabulary, min_chars: int = 3) -> list[PhiSpan]:
    """Every other whole-word, case-insensitive occurrence of a found name/place word, as a new span.

    Words that are plain vocabulary even after a strong cue are not spread ("Dr. Small" stays one span: "small"
    elsewhere is clinical), nor are drug names.
    """
    words: dict[str, str] = {}
    for span in spans:
        if span.label not in (NAME, LOCATION):
            continue
        for word in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text[span.start : span.end]):
            if len(word) >= min_chars and word.lower() not in vocabulary:
                words.setdefault(word.lower(), span.label)
    if not words:
        return []
    pattern = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                         + r")(?![\w'])", re.I)
    return [PhiSpan(_initial_start(text, m.start()), m.end(), words[m.group().lower()], "propagation")
            for m in pattern.finditer(text)]


def _initial_start(text: str, start: int) -> int:
    """Where a name found by propagation really starts: its initial too ("AS PER E. WELSH")."""
    before = text[max(0, start - 4) : start]
    match = _INITIAL.search(before)
    return start - len(before) + match.start() if match else start
