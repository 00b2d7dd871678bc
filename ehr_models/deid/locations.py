"""Places below state level from context: institutions ("Holy Cross Hospital", "KEELEY HOUSE", "U of MD"),
towns after "lives in" / "from" / "of", and a site's own places (its hospitals, wards, towns).

Generic words of an institution's name stay ("Hospital", "Medical Center"): the proper part is the identifier,
and a surrogate then reads "Elmwood Hospital".
"""

from __future__ import annotations

import re
from functools import cached_property

from ehr_models.deid.gazetteers import CITIES, SiteLists
from ehr_models.deid.phi import LOCATION, PhiSpan
from ehr_models.deid.recognizers import NoteContext
from ehr_models.deid.vocabulary import ClinicalVocabulary

SUFFIXES = frozenset(
    """
    hospital hosp hospitals clinic clinics center centre ctr infirmary hospice house manor rehab vamc vahc
    healthcare nursing-home
    """.split()
)
# Words that may sit inside an institution's proper name although they are vocabulary.
NAME_PARTS = frozenset("st st. saint mt mount holy sacred heart cross memorial university union general mercy "
                       "good samaritan of".split())
_BEFORE_STOP = frozenset("the a an to from at in on for and or his her their this that our via by with osh "
                         "outside local another other same".split())
# "lives in Hampton", "resides in Towson": strong enough for any word that is not vocabulary.
PLACE_CUES = (("lives", "in"), ("living", "in"), ("resides", "in"), ("moved", "to"), ("lives", "at"),
              ("home", "in"))


class LocationRecognizer:
    """Institutions by their generic suffix, towns after place cues, and site places (see module doc)."""

    name = "locations"

    def __init__(self, site: SiteLists | None = None, vocabulary: ClinicalVocabulary | None = None,
                 max_name_tokens: int = 4) -> None:
        self.site = site or SiteLists()
        self.vocabulary = vocabulary or ClinicalVocabulary()
        self.max_name_tokens = max_name_tokens

    def to_dict(self) -> dict:
        return {"type": self.name, "max_name_tokens": self.max_name_tokens}

    @classmethod
    def from_dict(cls, config: dict, site: SiteLists | None = None,
                  vocabulary: ClinicalVocabulary | None = None, **shared: object) -> "LocationRecognizer":
        return cls(site=site, vocabulary=vocabulary, max_name_tokens=config.get("max_name_tokens", 4))

    @cached_property
    def _phrases(self) -> re.Pattern | None:
        """Site place phrases anywhere; cities of several words ("San Diego") after a place cue."""
        alternatives = sorted((r"\s+".join(map(re.escape, p.split())) for p in self.site.place_phrases), key=len,
                              reverse=True)
        cities = sorted((r"\s+".join(map(re.escape, c.split())) for c in CITIES if " " in c), key=len, reverse=True)
        cue = "|".join(rf"(?<=\b{word}\s)" for word in ("from", "in", "to", "of", "near", "at"))
        alternatives.append(rf"(?:{cue})(?:" + "|".join(cities) + ")")
        return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)

    def _city(self, note: NoteContext, i: int) -> bool:
        word = note.lowered[i]
        if word not in CITIES or self.vocabulary.strict(word):
            return False
        cued = i > 0 and note.lowered[i - 1] in ("from", "in", "to", "of", "near", "at")
        return cued or (note.mixed_case and note.tokens[i].text[0].isupper() and i not in note.line_starts)

    def _site_place(self, word: str) -> bool:
        return len(word) >= 2 and word.rstrip("0123456789") in self.site.places and not self.vocabulary.strict(word)

    def _part(self, note: NoteContext, i: int) -> bool:
        """Can token ``i`` be part of an institution's proper name?"""
        word, lowered = note.tokens[i].text, note.lowered[i]
        if lowered in _BEFORE_STOP and lowered != "of":
            return False
        if lowered in NAME_PARTS or lowered in self.site.places:
            return True
        if not word[0].isalpha() or (note.mixed_case and not word[0].isupper()):
            return False
        return word not in self.vocabulary

    def find(self, note: NoteContext) -> list[PhiSpan]:
        tokens, lowered = note.tokens, note.lowered
        picked: set[int] = set()
        for i, word in enumerate(lowered):
            if self._site_place(word) or self._city(note, i):
                picked.add(i)
            if word in SUFFIXES or (word == "medical" and i + 1 < len(tokens) and lowered[i + 1] in SUFFIXES):
                picked.update(self._institution(note, i))
            if i >= 2 and (lowered[i - 2], lowered[i - 1]) in PLACE_CUES:
                picked.update(self._town(note, i))
            if self._university(note, i):  # "University of Maryland", "U of MD"
                picked.update({i, i + 1, i + 2})
        spans = [PhiSpan(tokens[i].start, tokens[i].end, LOCATION, self.name) for i in sorted(picked)]
        spans += [PhiSpan(m.start(), m.end(), LOCATION, f"{self.name}:site") for m in self._phrases.finditer(note.text)]
        return spans

    def _university(self, note: NoteContext, i: int) -> bool:
        tokens = note.tokens
        return ((note.lowered[i] in ("univ", "university") or tokens[i].text == "U") and i + 2 < len(tokens)
                and note.lowered[i + 1] == "of" and tokens[i + 2].text.isalpha()
                and tokens[i + 2].text not in self.vocabulary)

    def _town(self, note: NoteContext, i: int) -> list[int]:
        found = []
        for k in range(i, min(i + 2, len(note.tokens))):
            word = note.tokens[k].text
            if not word.isalpha() or word in self.vocabulary or (note.mixed_case and not word[0].isupper()):
                break
            found.append(k)
        return found

    def _institution(self, note: NoteContext, i: int) -> list[int]:
        found: list[int] = []
        k = i - 1
        while k >= 0 and len(found) < self.max_name_tokens and "\n" not in note.text[note.tokens[k].end :
                                                                                    note.tokens[k + 1].start]:
            if note.tokens[k].text == "." and k > 0 and note.lowered[k - 1] in ("st", "mt"):  # "St. Agnes"
                k -= 1
                continue
            if not self._part(note, k):
                break
            found.append(k)
            k -= 1
        while found and note.lowered[found[-1]] == "of":  # "of" only inside a name
            found.pop()
        return found
