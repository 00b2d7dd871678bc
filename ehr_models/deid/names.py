"""Person names from context: titles ("Dr. Vasquez", "Mrs. Cohen"), relatives ("wife Anna", "dtr suzette"),
signatures ("ROBERT V. DEGIORGIO, RRT"), reporting verbs ("per Healey", "Toolis aware"), census gazetteer hits that
are not clinical vocabulary, and a site's own clinician list.

A cue decides how much a word must look like a name: after a title anything but plain vocabulary passes ("Dr.
King"); after a verb the word must be a census name; with no cue it must also be capitalised in a note whose
capitals mean something. Drug names are never names without a title (the evaluation counts drug words redacted).
"""

from __future__ import annotations

import logging
import re

from ehr_models.deid.gazetteers import SiteLists, census_names
from ehr_models.deid.phi import NAME, PHONE, PhiSpan
from ehr_models.deid.recognizers import NoteContext
from ehr_models.deid.vocabulary import ClinicalVocabulary

logger = logging.getLogger(__name__)

TITLES = frozenset("dr dr. drs doctor mr mrs ms miss mister mme prof".split())
RELATIONS = frozenset(
    """
    wife husband spouse son sons daughter daughters dtr dtrs dau daughter-in-law son-in-law brother brothers
    sister sisters bro sis mother mom mum father dad parent parents niece nieces nephew nephews grandson
    grandsons granddaughter granddaughters grandaughter grandchild grandmother grandfather aunt uncle cousin
    friend friends neighbor neighbour boyfriend girlfriend fiance fiancee partner companion proxy hcp
    spokesperson guardian sibling siblings stepson stepdaughter in-law named name
    """.split()
)
ROLES = frozenset(
    """
    nurse pcp attending resident intern fellow physician cardiologist surgeon hospitalist sw worker manager
    chaplain priest rabbi pharmacist therapist coordinator docter
    """.split()
)
CREDENTIALS = frozenset("rrt crt rn md np crnp licsw msw lpn rph pharmd dpt slp rd ldn bsn cnm mph phd".split())
# A name follows these directly ("per Healey", "paged Toolis") ...
VERBS_BEFORE = frozenset("per called paged page notified informed told asked".split())
# ... or follows "with" / "to" / "by" after these ("spoke with Helen", "seen by Rakusin").
VERBS_WITH = frozenset("spoke speaking spoken talked talking discussed met seen evaluated examined consulted "
                       "updated reviewed reported".split())
VERBS_AFTER = frozenset("aware notified paged called informed updated consented visited visiting ordered".split())
_JOINERS = frozenset({",", ":", "-", "(", "is", "named", "--", "="})
# Header fields whose value is a name when a colon follows ("Patient: Margaret O'Donnell", "pt: J. Kowalczyk").
FIELD_CUES = frozenset("patient pt name re attending surgeon pcp nurse rn md".split())
# "SON AT BEDSIDE, DAVID,": a relative, a few words of where, then the name after a comma.
_RELATIVE_ASIDE = 4
_PHONE_WORDS = frozenset("cell cell# phone phone# ph ph# tel tel# home home# work work# # : - at number no no. ( = "
                         "office pager beeper mobile".split())
AGE_UNITS = frozenset("yo yr yrs year years y/o yof yom".split())
_CUE_WORDS = TITLES | RELATIONS | ROLES | CREDENTIALS
# Endings of verbs, adverbs and abstract nouns: an unknown word with one is not taken as a name on a weak cue.
_NOT_NAME_ENDING = re.compile(r"(?:ed|ing|ly|ful|tion|sion|ment|ness|ity|ous|ive|al|ic|es|ts|ds|ns|rs|ms|ks|ps)$", re.I)
_WEAK_TITLES = frozenset({"ms"})  # "MS" is mental status or morphine sulfate more often than a title
# A full stop after these ("Dr. Quorvath", "J. Zorbek") ends an abbreviation, not a sentence.
_PERIOD_WORDS = frozenset("dr mr mrs ms drs prof st mt".split())
# Verbs that follow a clinician's credential in running text ("Orla Brevington MD spoke with the daughter").
_AFTER_CREDENTIAL = frozenset("aware notified paged called informed updated spoke spoken talked discussed stated said "
                              "says came saw examined evaluated ordered wants recommends recommended".split())
# "unable to reach Edmund", "contacted Winifred": verbs that take a person.
_REACH_VERBS = frozenset("reach reached contacted phoned".split())
_IN_LAW = ("-", "in", "-", "law")
_AUXILIARIES = frozenset("will may can could would should might must did does has had is was".split())


class NameRecognizer:
    """Names from titles, relatives, signatures, reporting verbs, census lists and site lists (see module doc)."""

    name = "names"

    def __init__(self, census: bool = True, max_last_rank: int = 60000, max_first_rank: int = 5000,
                 site: SiteLists | None = None, vocabulary: ClinicalVocabulary | None = None) -> None:
        self.census = census
        self.max_last_rank = max_last_rank
        self.max_first_rank = max_first_rank
        self.site = site or SiteLists()
        self.vocabulary = vocabulary or ClinicalVocabulary()

    def to_dict(self) -> dict:
        return {"type": self.name, "census": self.census, "max_last_rank": self.max_last_rank,
                "max_first_rank": self.max_first_rank}

    @classmethod
    def from_dict(cls, config: dict, site: SiteLists | None = None,
                  vocabulary: ClinicalVocabulary | None = None, **shared: object) -> "NameRecognizer":
        return cls(census=config.get("census", True), max_last_rank=config.get("max_last_rank", 60000),
                   max_first_rank=config.get("max_first_rank", 5000), site=site, vocabulary=vocabulary)

    # -- word tests -------------------------------------------------------------------------------------------
    def _census(self, word: str) -> bool:
        if not self.census:
            return False
        lowered = word.lower()
        return (census_names("last").get(lowered, 10**9) <= self.max_last_rank
                or census_names("first").get(lowered, 10**9) <= self.max_first_rank)

    @staticmethod
    def _alpha(word: str) -> bool:
        return word.replace("'", "").replace("’", "").isalpha()

    def _capitalised(self, note: NoteContext, i: int, cued: bool = False) -> bool:
        """Title-case in a note whose capitals carry meaning, not at a line start, nor (without a cue such as
        "aware") at a sentence start: capitals there say little."""
        word = note.tokens[i].text
        title = word[0].isupper() and (len(word) == 1 or word[1:].replace("'", "").islower()
                                       or (word[1] == "'" and word[2:3].isupper()))
        before = note.lowered[i - 2] if i > 1 else ""
        abbreviation = before in _PERIOD_WORDS or (len(before) == 1 and before.isalpha())  # "Dr. N", "J. N"
        sentence_start = i > 0 and note.lowered[i - 1] in (".", ":", "!", "?", '"', "-", ";") and not (
            note.lowered[i - 1] == "." and abbreviation)
        return note.mixed_case and title and i not in note.line_starts and (cued or not sentence_start)

    def _unknown_ok(self, note: NoteContext, i: int) -> bool:
        """Where capitals say nothing, an unknown word after a strong cue is taken (recall first) unless it reads
        like a verb, adverb or abstract noun."""
        word = note.tokens[i].text
        return (not note.mixed_case and len(word) >= 3 and not self.vocabulary.known(word)
                and not _NOT_NAME_ENDING.search(word))

    def _same_line(self, note: NoteContext, i: int, j: int) -> bool:
        return "\n" not in note.text[note.tokens[min(i, j)].end : note.tokens[max(i, j)].start]

    def _passes(self, note: NoteContext, i: int, cue: str) -> bool:
        """Does token ``i`` look like a name enough for ``cue``?"""
        word = note.tokens[i].text
        if not self._alpha(word) or len(word) < 2:
            return False
        vocab = self.vocabulary
        if word.lower() in _CUE_WORDS:
            return False
        if cue == "title":
            return not vocab.strict(word) and (not _NOT_NAME_ENDING.search(word) or self._census(word)
                                               or self._capitalised(note, i) or word.isupper() and note.mixed_case)
        if vocab.drug(word):
            return False
        if cue in ("relation", "credential", "phone"):
            if vocab.strict(word) or vocab.learned(word):
                return False
            if word.lower() in _AUXILIARIES and not (note.mixed_case and self._capitalised(note, i, cued=True)):
                return False  # "husband will visit", "HUSBAND WILL TRY" (but "son Will visited")
            if cue == "credential" and word.isupper() and len(word) >= 3 and word not in vocab:
                return True  # signatures are often in capitals in a mixed-case note ("ANTHONY C. KWIATEK, RRT")
            if cue == "credential" and note.mixed_case and word[0].isupper() and word[1:].islower() \
                    and word not in vocab and not _NOT_NAME_ENDING.search(word):
                return True  # a signature's first name opens its line ("Priya Natarajan, MD")
            return (self._census(word) or self._capitalised(note, i, cued=cue == "phone") or self._site(word)
                    or self._unknown_ok(note, i))
        if cue == "credential-verb":
            return (not vocab.strict(word) and not vocab.learned(word) and not self.vocabulary.known(word)
                    and (self._census(word) or self._site(word) or self._capitalised(note, i, cued=True)))
        if cue == "next":
            return self._next_ok(note, i)
        if word in vocab or len(word) < 3:
            return False
        if cue in ("verb", "aware"):  # in a note all in one case, an unknown word before "aware" is taken
            return (self._census(word) or self._capitalised(note, i, cued=True) or self._site(word)
                    or (cue == "aware" and self._unknown_ok(note, i)))
        if cue == "site":
            return self._site(word)
        # no cue: a census name that is not vocabulary, capitalised where capitals carry meaning
        return self._census(word) and self._capitalised(note, i)

    def _site(self, word: str) -> bool:
        return word.lower().rstrip("0123456789") in self.site.names

    def _initial(self, note: NoteContext, i: int) -> bool:
        """A one-letter initial followed by a full stop ("V." in "ROBERT V. DEGIORGIO")."""
        tokens = note.tokens
        return (0 <= i < len(tokens) - 1 and len(tokens[i].text) == 1 and tokens[i].text.isalpha()
                and tokens[i + 1].text == "." and tokens[i + 1].start == tokens[i].end)

    # -- cues -------------------------------------------------------------------------------------------------
    def _forward(self, note: NoteContext, j: int, cue: str, limit: int = 3) -> list[int]:
        """Indices of the name tokens starting at ``j`` (initials and hyphenated parts included)."""
        picked: list[int] = []
        tokens = note.tokens
        k = j
        while k < len(tokens) and len(picked) < limit and (k == j or self._same_line(note, k - 1, k)):
            if k == j and cue == "title" and note.lowered[k] == "o" and k + 1 < len(tokens) \
                    and self._alpha(tokens[k + 1].text) and self._same_line(note, k, k + 1):
                picked.append(k)  # "Dr. o malley": O'Malley typed without its apostrophe
                k += 1
                continue
            if self._initial(note, k):
                picked.append(k)
                k += 2
                continue
            if not self._passes(note, k, cue if not picked else "next"):
                break
            picked.append(k)
            k += 1
            if k + 1 < len(tokens) and tokens[k].text == "-" and tokens[k].start == tokens[k - 1].end \
                    and self._alpha(tokens[k + 1].text):
                picked.append(k + 1)
                k += 2
        return picked

    def _next_ok(self, note: NoteContext, i: int) -> bool:
        word = note.tokens[i].text
        return (self._alpha(word) and len(word) >= 2 and word not in self.vocabulary
                and word.lower() not in _CUE_WORDS
                and (self._census(word) or self._capitalised(note, i) or self._site(word)
                     or self._unknown_ok(note, i)))

    def find(self, note: NoteContext) -> list[PhiSpan]:
        tokens, lowered = note.tokens, note.lowered
        picked: dict[int, str] = {}

        def take(indices: list[int], source: str) -> None:
            for index in indices:
                picked.setdefault(index, source)

        for i, word in enumerate(lowered):
            j = i + 1
            if j < len(tokens) and tokens[j].text == "." and word in ("dr", "mr", "mrs", "ms", "drs", "prof"):
                j += 1
            dotted = self._dotted_credential(note, i) if len(word) == 1 else 0
            if dotted and i > 0 and self._credential_position(note, i + dotted - 1):
                take(self._backward(note, i - 1, "credential"), "credential")  # "Marta Quillfeather, R.N."
            elif word in CREDENTIALS and i > 0 and self._credential_position(note, i):
                take(self._backward(note, i - 1, "credential"), "credential")
            elif word in CREDENTIALS and i > 0 and lowered[i + 1 : i + 2] and lowered[i + 1] in _AFTER_CREDENTIAL \
                    and self._same_line(note, i, i + 1):
                take(self._backward(note, i - 1, "credential-verb", limit=3), "credential")
            elif word in TITLES:
                weak = word in _WEAK_TITLES
                found = self._forward(note, j, "verb" if weak else "title")
                take(found, "title")
                self._coordinated(note, found, take)
            elif word in FIELD_CUES and j < len(tokens) and lowered[j] == ":" and self._same_line(note, i, j):
                take(self._forward(note, j + 1, "relation", limit=3), "field")
            elif word in RELATIONS or word in ROLES or word in CREDENTIALS:  # "per md Saeed"
                if tuple(lowered[j : j + 4]) == _IN_LAW:  # "dtr-in-law Rosalind Vexley"
                    j += 4
                while j < len(tokens) and lowered[j] in _JOINERS and self._same_line(note, i, j):
                    j += 1
                found = self._forward(note, j, "relation", limit=2) or self._aside(note, j)
                take(found, "relation")
                self._coordinated(note, found, take)
            elif (word in VERBS_BEFORE or word in _REACH_VERBS or (word in ("with", "to", "by", "w/") and i > 0
                                           and lowered[i - 1] in VERBS_WITH)
                  or (word == "with" and i > 0 and lowered[i - 1] in ("consult", "made"))) and j < len(tokens):
                if self._same_line(note, i, j) and self._passes(note, j, "verb"):
                    take(self._forward(note, j, "verb", limit=2), "verb")
            elif word == "(" and j + 1 < len(tokens) and lowered[j] in RELATIONS and lowered[j + 1] == ")":
                take(self._backward(note, i - 1, "relation", limit=2), "relation")  # "Hank Przybylo (son)"
            if word in VERBS_AFTER and i > 0 and self._same_line(note, i - 1, i):
                k = i - 2 if lowered[i - 1] in CREDENTIALS else i - 1  # "B. CLIFFORD MD AWARE"
                take(self._backward(note, k, "aware", limit=2), "verb")  # "BEA TURA AWARE"
            if word in ("family", "families") and i > 0 and self._same_line(note, i - 1, i) \
                    and self._family_name(note, i - 1):
                take([i - 1], "family")  # "keep the Kowalczyk family aware"
            if word == "is" and self._age_follows(note, i + 1):
                take(self._backward(note, i - 1, "relation", limit=3), "age")  # "lorrie morales is a 70 yr old"
            if i in picked:
                continue
            # Cheap necessary conditions first (the word is a site name; a census name in a note whose capitals
            # mean something): most tokens fail them, and ``_passes`` is the costly test.
            if self.site.names and self._site(tokens[i].text) and self._passes(note, i, "site"):
                picked[i] = "site"
            elif note.mixed_case and self._census(tokens[i].text) and self._passes(note, i, "census"):
                picked[i] = "census"
        for span in note.found:
            if span.label == PHONE:
                take(self._before_phone(note, span.start), "phone")
        self._extend_initials(note, picked)
        return [PhiSpan(tokens[i].start, tokens[i].end, NAME, f"{self.name}:{source}") for i, source in picked.items()]

    def _family_name(self, note: NoteContext, k: int) -> bool:
        """A surname before "family": a census name that is no known word ("the pt's family" stays)."""
        word = note.tokens[k].text
        return (self._alpha(word) and len(word) >= 3 and not self.vocabulary.known(word)
                and not self.vocabulary.drug(word) and (self._census(word) or self._site(word)))

    def _before_phone(self, note: NoteContext, start: int) -> list[int]:
        """"Lopie Certusi cell# 410-...": the name just before a phone number and its label words."""
        k = next((n for n, t in enumerate(note.tokens) if t.start >= start), len(note.tokens)) - 1
        while k >= 0 and note.lowered[k] in _PHONE_WORDS and start - note.tokens[k].end < 20:
            k -= 1
        if k < 0 or k == len(note.tokens) - 1 or start - note.tokens[k].end > 20:
            return []
        return self._backward(note, k, "phone", limit=2)

    @staticmethod
    def _age_follows(note: NoteContext, j: int) -> bool:
        """"a 70 yr old", "a 64 y/o", "an 81 year old" from token ``j``."""
        words = note.lowered[j : j + 3]
        return (len(words) == 3 and words[0] in ("a", "an") and words[1].isdigit()
                and (words[2] in AGE_UNITS or words[2].startswith("y")))

    def _aside(self, note: NoteContext, j: int) -> list[int]:
        """After a relative and a few words of where ("son at bedside, DAVID"), the name that follows a comma."""
        for k in range(j, min(j + _RELATIVE_ASIDE, len(note.tokens) - 1)):
            if not self._same_line(note, j, k) or note.lowered[k] in (".", ";", ":"):
                return []
            if note.lowered[k] == ",":  # a weaker cue: the name must be no word of clinical text ("dtr called, will")
                found = self._forward(note, k + 1, "relation", limit=2)
                return found if found and not self.vocabulary.known(note.tokens[found[0]].text) else []
        return []

    def _coordinated(self, note: NoteContext, found: list[int], take) -> None:
        """"daughters sarah and margie": a second name joined by "and", "&" or a comma."""
        if not found:
            return
        k = found[-1] + 1
        lowered = note.lowered
        if k + 1 < len(lowered) and lowered[k] in ("and", "&", ",") and self._next_ok(note, k + 1):
            take([k + 1], "relation")

    @staticmethod
    def _dotted_credential(note: NoteContext, i: int) -> int:
        """Tokens of a credential written with full stops at ``i`` ("R.N.", "M.D.", "R.R.T."), else 0."""
        tokens, letters, k = note.tokens, [], i
        while k + 1 < len(tokens) and len(tokens[k].text) == 1 and tokens[k].text.isalpha() \
                and tokens[k + 1].text == "." and tokens[k + 1].start == tokens[k].end \
                and (k == i or tokens[k].start == tokens[k - 1].end):
            letters.append(tokens[k].text.lower())
            k += 2
        return k - i if len(letters) >= 2 and "".join(letters) in CREDENTIALS else 0

    def _credential_position(self, note: NoteContext, i: int) -> bool:
        """A credential closes a signature: after a comma, or at the end of its line."""
        tokens = note.tokens
        after = note.text[tokens[i].end : tokens[i].end + 3]
        return note.lowered[i - 1] == "," or not after.strip(" .\t") or after.lstrip(" .\t")[:1] in ("\n", "")

    def _backward(self, note: NoteContext, k: int, cue: str, limit: int = 4) -> list[int]:
        picked: list[int] = []
        if k >= 0 and note.lowered[k] == ",":
            k -= 1
        while k >= 0 and len(picked) < limit and self._same_line(note, k, k + 1):
            token = note.tokens[k].text
            if token == "." and k > 0 and self._initial(note, k - 1) and (picked or cue == "credential"):
                picked.append(k - 1)
                k -= 2
                continue
            if token == "-" and picked:
                k -= 1
                continue
            if not self._passes(note, k, cue):
                break
            picked.append(k)
            k -= 1
        return picked

    def _extend_initials(self, note: NoteContext, picked: dict[int, str]) -> None:
        """An initial right before or after a picked name belongs to it ("E. WELSH", "HERMAN W. EMPERATRICE")."""
        for i in sorted(picked):
            for k in (i - 2, i + 1):
                if self._initial(note, k) and self._same_line(note, k, i):
                    picked.setdefault(k, picked[i])
