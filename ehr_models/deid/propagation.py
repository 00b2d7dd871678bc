"""Propagation: a name or place found once in a note is removed everywhere in it ("Dr. Rakusin ... Rakusin aware")."""

from __future__ import annotations

import re

from ehr_models.deid.gazetteers import census_names
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
        learned = span.source.startswith("tagger")
        for word in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text[span.start : span.end]):
            bare = word[:-2] if word.lower().endswith(("'s", "’s")) else word
            # A word only the tagger took is spread only when no clinical text uses it ("ginger" of a drink elsewhere).
            if len(bare) >= min_chars and not vocabulary.plain(bare) and not (learned and vocabulary.known(bare)):
                words.setdefault(bare.lower(), span.label)
    if not words:
        return []
    pattern = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True))
                         + r")(?:['’]s)?(?![\w'])", re.I)
    return [PhiSpan(_initial_start(text, m.start()), m.end(), words[m.group(1).lower()], "propagation")
            for m in pattern.finditer(text)]


def _initial_start(text: str, start: int) -> int:
    """Where a name found by propagation really starts: its initial too ("AS PER E. WELSH")."""
    before = text[max(0, start - 4) : start]
    match = _INITIAL.search(before)
    return start - len(before) + match.start() if match else start


_BEFORE = re.compile(r"([^\W\d_]{2,})[ \t]+$")
_AFTER = re.compile(r"^[ \t]+([^\W\d_]{3,}(?:['’][^\W\d_]+)?)(?![\w'’])")


def neighbours(text: str, spans: list[PhiSpan], vocabulary: ClinicalVocabulary, max_first_rank: int = 5000,
               max_last_rank: int = 30000) -> list[PhiSpan]:
    """The rest of a found name: a census given name just before it ("Orrin" of "Orrin Quellmann") and a census surname
    just after it ("Kowalczyk" of "Zelda Kowalczyk"), on the same line, in the same letter case, and neither a known word
    nor a drug."""
    first, last = census_names("first"), census_names("last")
    found: list[PhiSpan] = []

    def fits(word: str, name: str, ranks: dict[str, int], limit: int) -> bool:
        lowered = word.lower()
        if ranks.get(lowered.replace("'", "").replace("’", ""), 10**9) > limit or word in vocabulary \
                or vocabulary.known(word) or vocabulary.drug(word):
            return False
        if name.isupper():
            return word.isupper()
        if name.islower():
            return word.islower()
        return word[0].isupper() and not word.isupper()

    for span in spans:
        if span.label != NAME:
            continue
        name = text[span.start : span.end]
        if not any(c.isalpha() for c in name):
            continue
        before = _BEFORE.search(text[max(0, span.start - 30) : span.start])
        if before and fits(before.group(1), name, first, max_first_rank):
            start = span.start - len(before.group(0))
            found.append(PhiSpan(start, start + len(before.group(1)), NAME, "propagation:neighbour"))
        after = _AFTER.match(text[span.end : span.end + 40])
        if after and fits(after.group(1), name, last, max_last_rank):
            found.append(PhiSpan(span.end + after.start(1), span.end + after.end(1), NAME, "propagation:neighbour"))
    return found
