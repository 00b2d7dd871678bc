"""Places below state level from context: institutions ("Holy Cross Hospital", "KEELEY HOUSE", "U of MD"),
towns after "lives in" / "from" / "of", and a site's own places (its hospitals, wards, towns).

Generic words of an institution's name stay ("Hospital", "Medical Center"): the proper part is the identifier,
and a surrogate then reads "Elmwood Hospital".
"""

from __future__ import annotations

import re
from functools import cached_property

from ehr_models.deid.gazetteers import CITIES, HOSPITAL_PHRASES, SiteLists, census_names
from ehr_models.deid.phi import LOCATION, PhiSpan
from ehr_models.deid.recognizers import NoteContext
from ehr_models.deid.vocabulary import ClinicalVocabulary

SUFFIXES = frozenset(
    """
    hospital hosp hospitals clinic clinics center centre ctr infirmary hospice house manor rehab vamc vahc
    healthcare nursing-home memorial regional campus facility
    """.split()
)
# Suffixes that gold annotation counts as part of the name ("harford memorial", "vista health"): removed too.
NAMED_SUFFIXES = frozenset({"memorial", "regional"})
STATE_CODES = frozenset("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
                        "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split())
# Hospitals named after saints: "St. Mary's", "ST. AGNES" (the name must not be vocabulary: "ST. HR 110").
_SAINTS = frozenset({"st", "saint", "mt", "mount"})
# "transfered to gh": after a move and its preposition, initials no vocabulary knows are a hospital (after a bare
# "to" they are more often clinical shorthand: "Foley to BSD", "continues to CDB").
MOVES = frozenset("transferred transfered transfer transf admitted readmitted sent taken went returned discharged "
                  "arrived came brought".split())
# A title-case word after these, in a note whose capitals mean something, is a town ("in Lochearn").
TOWN_CUES = frozenset({"in", "of", "from", "near"})
# Words that may sit inside an institution's proper name although they are vocabulary.
NAME_PARTS = frozenset("st st. saint mt mount holy sacred heart cross memorial university union general mercy "
                       "good samaritan of".split())
_BEFORE_STOP = frozenset("the a an to from at in on for and or his her their this that our via by with osh "
                         "outside local another other same".split())
# "lives in Hampton", "resides in Towson": strong enough for any word that is not vocabulary.
# Employers too ("CEO of X", "retired from X").
PLACE_CUES = (("lives", "in"), ("living", "in"), ("resides", "in"), ("moved", "to"), ("lives", "at"),
              ("home", "in"), ("nearby", "in"), ("works", "at"), ("works", "for"), ("works", "in"),
              ("worked", "at"), ("worked", "for"), ("working", "at"), ("working", "for"), ("employed", "by"),
              ("employed", "at"), ("retired", "from"), ("ceo", "of"), ("president", "of"), ("owner", "of"))


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
        """Site place phrases and well-known hospital names of plain words ("Sacred Heart") anywhere; cities of several
        words ("San Diego") after a place cue."""
        alternatives = sorted((r"\s+".join(map(re.escape, p.split())) for p in self.site.place_phrases), key=len,
                              reverse=True)
        alternatives += sorted((r"\s+".join(map(re.escape, p.split())) for p in HOSPITAL_PHRASES), key=len,
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
        if note.mixed_case and word[1:].islower():  # "Valley Hospital": only plain function words veto a capital
            return not self.vocabulary.strict(word)
        return not self.vocabulary.plain(word)  # a suffix is a strong cue: common words may name ("linden valley hosp")

    def find(self, note: NoteContext) -> list[PhiSpan]:
        tokens, lowered = note.tokens, note.lowered
        picked: set[int] = set()
        for i, word in enumerate(lowered):
            if (self.site.places and self._site_place(word)) or (word in CITIES and self._city(note, i)):
                picked.add(i)
            if word in SUFFIXES or (word in ("medical", "med") and i + 1 < len(tokens) and lowered[i + 1] in SUFFIXES):
                found = self._institution(note, i)
                picked.update(found + ([i] if found and word in NAMED_SUFFIXES else []))
            if word == "health" and i > 0 and tokens[i - 1].text.isalpha() \
                    and not self.vocabulary.known(tokens[i - 1].text) and lowered[i + 1 : i + 2] != ["care"]:
                picked.update({i - 1, i})  # "works for vista health"
            if i > 1 and lowered[i - 2] in MOVES and lowered[i - 1] in ("to", "from", "at") \
                    and self._unknown_place(note, i):
                picked.add(i)
            if i > 0 and lowered[i - 1] in TOWN_CUES and self._title_town(note, i):
                picked.add(i)
            if i >= 2 and (lowered[i - 2], lowered[i - 1]) in PLACE_CUES:
                picked.update(self._town(note, i))
            if word == "," and 0 < i < len(tokens) - 1 and tokens[i + 1].text in STATE_CODES:
                picked.update(self._before_state(note, i))  # "Millbrook, NY 12545"
            if word in _SAINTS and self._saint(note, i):
                picked.update({i, i + 2} if lowered[i + 1] == "." else {i, i + 1})
            if word in ("univ", "university", "u") and self._university(note, i):  # "University of Maryland", "U of MD"
                picked.update({i, i + 1, i + 2})
        spans = [PhiSpan(tokens[i].start, tokens[i].end, LOCATION, self.name) for i in sorted(picked)]
        spans += [PhiSpan(m.start(), m.end(), LOCATION, f"{self.name}:site") for m in self._phrases.finditer(note.text)]
        return spans

    def _university(self, note: NoteContext, i: int) -> bool:
        tokens = note.tokens
        if not ((note.lowered[i] in ("univ", "university") or tokens[i].text == "U") and i + 2 < len(tokens)
                and note.lowered[i + 1] == "of" and tokens[i + 2].text.isalpha()):
            return False
        place = tokens[i + 2].text  # "U of MD": a state's abbreviation is vocabulary elsewhere ("MD")
        return place not in self.vocabulary or (place[0].isupper() and not self.vocabulary.strict(place.lower())
                                                 or place.isupper())

    def _before_state(self, note: NoteContext, comma: int) -> list[int]:
        """The town of "Millbrook, NY": one or two title-case words before the comma, on its line."""
        tokens = note.tokens
        zip_follows = comma + 2 < len(tokens) and re.fullmatch(r"\d{5}(?:-\d{4})?", tokens[comma + 2].text)
        if not zip_follows and not note.mixed_case:
            return []  # "SOFT, NT, ND", "ENZYMES, OR EKG": in capitals, only an address with its ZIP counts
        found = []
        for k in (comma - 1, comma - 2):
            word = tokens[k].text if k >= 0 else ""
            if not (word.isalpha() and word[0].isupper() and word[1:].islower() and not self.vocabulary.known(word)
                    and self._same_line(note, k, comma)):
                break
            found.append(k)
        return found

    def _saint(self, note: NoteContext, i: int) -> bool:
        k = i + 2 if i + 2 < len(note.tokens) and note.lowered[i + 1] == "." else i + 1
        if k >= len(note.tokens) or not self._same_line(note, i, k):
            return False
        word = note.tokens[k].text.split("'")[0]
        return (len(word) >= 3 and word.isalpha() and word[0].isupper() and not self.vocabulary.strict(word)
                and (census_names("first").get(word.lower(), 10**9) <= 2000 or not self.vocabulary.known(word)))

    @staticmethod
    def _same_line(note: NoteContext, i: int, j: int) -> bool:
        return "\n" not in note.text[note.tokens[i].end : note.tokens[j].start]

    def _unknown_place(self, note: NoteContext, i: int) -> bool:
        word = note.tokens[i].text
        # Short words only: a hospital's initials ("gh"); longer unknown words there are units and misspellings.
        return word.isalpha() and 2 <= len(word) <= 3 and not self.vocabulary.known(word)

    def _title_town(self, note: NoteContext, i: int) -> bool:
        """A title-case word that is no vocabulary, census name or cue, not opening a line ("in Lochearn")."""
        word = note.tokens[i].text
        return (note.mixed_case and len(word) >= 4 and word.isalpha() and word[0].isupper() and word[1:].islower()
                and i not in note.line_starts and not self.vocabulary.known(word) and not self.vocabulary.drug(word))

    def _town(self, note: NoteContext, i: int) -> list[int]:
        found = []
        for k in range(i, min(i + 2, len(note.tokens))):
            word = note.tokens[k].text
            if word == "DC" and k == i:  # "lives in DC": the city, not a state
                found.append(k)
                break
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
