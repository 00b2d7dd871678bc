"""Surrogate and case augmentation of de-identification training notes: more, and more varied, PHI in real context.

A gold corpus of a few hundred PHI spans teaches a tagger its strings (the site's ward and hospital names) more than the contexts
that make a word PHI. Here each training note is copied with every gold PHI span replaced by a random stand-in of
its type, so the same sentence is seen with many different names, places, dates and numbers:

* names (clinicians, patients, relatives): US census given names and surnames (``names`` package, read as data
  through ``ehr_models.deid.gazetteers``), common and rare alike, and some invented names in no list, one initial
  for an initial, sometimes misspelt;
* places: invented towns ("Ashbury", "Fenwick Mills"), census surnames as towns, hospitals ("St. Orla's",
  "Harlow Memorial"), initials ("GH", "NMC"), and cities of the project's list;
* dates in many written forms ("7/22", "07-22-1994", "Jul 22", "22nd", "July 22, 2004"), years, phone and pager
  numbers, ages over 89, other identifiers;

each in the letter case of the original or, some of the time, in another case; the same original in one note copy
gets the same stand-in (as a name recurs in a real note). Case copies (the whole note in capitals, or in lower
case) teach the one-case nursing notes where capitals say nothing. Stand-ins come from public lists and a seeded
generator, never from the notes: the only note material in an augmented copy is its non-PHI text.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from ehr_models.deid.gazetteers import CITIES, census_names

NAME_TYPES = frozenset({"HCPName", "PTName", "RelativeProxyName"})
_WORD = re.compile(r"[^\W\d_]+")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_TOWN_HEADS = ("ash bel black brook cal car clear dun el fair fen glen green hal hart hazel high holl kings lang "
               "lin lock mar mid mill north oak pem red ridge rock rose sal south stan sum thorn wal west whit wil "
               "win wood york bran cran dal ever fox gold har ken lan mor pen quin ros sher tam ver").split()
_TOWN_TAILS = ("bury ton ville field ford dale wood view haven mont ridge brook vale crest port burg ham ley by "
               "mouth worth stead wick land town side more ington").split()
_SYLLABLES = ("ka ro mi ta len dor vel sa ni bri os kel to ran fi mo zan ler qui ha ja vi ter nor el an "
              "ul ga bre sto wen ri ca lo dan ve sh th").split()
_PLACE_WORDS = ("Heights Falls Mills Springs Park Harbor Shore Hill Valley Point Beach Lake Grove Junction Creek "
                "Landing Bay Crossing").split()
_HOSPITAL_FORMS = ("{} Memorial", "{} General", "St. {}'s", "St {}", "{} Regional", "{} Medical Center",
                   "{} Hospital", "{} County", "University of {}", "{} Health", "{} Rehab", "{} Manor", "Mount {}",
                   "{} Valley")


@lru_cache(maxsize=1)
def _census() -> tuple[list[str], list[str], list[str], list[str]]:
    """(common given names, all given names, common surnames, all surnames), lower case, by frequency rank."""
    first = sorted(census_names("first"), key=census_names("first").get)
    last = sorted(census_names("last"), key=census_names("last").get)
    return first[:1000], first, last[:5000], last


def _like(original: str, value: str) -> str:
    """``value`` in the letter case of ``original``: UPPER, lower, or Title (the default)."""
    letters = [c for c in original if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return value.upper()
    if letters and all(c.islower() for c in letters):
        return value.lower()
    return value


def _casing(rng: random.Random, original: str, value: str, keep: float = 0.7) -> str:
    """The original's case most of the time, otherwise UPPER, lower or Title at random."""
    if rng.random() < keep:
        return _like(original, value)
    return rng.choice((value.upper(), value.lower(), value.title() if value.islower() else value))


def _misspelt(rng: random.Random, word: str) -> str:
    """One letter dropped, doubled or two swapped (typed notes misspell names)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


class Surrogator:
    """Random stand-ins by PhysioNet gold type (see module doc); ``rng`` decides everything."""

    def __init__(self, rng: random.Random, misspell: float = 0.05, invent: float = 0.15) -> None:
        self.rng = rng
        self.misspell = misspell
        self.invent = invent

    # -- names --------------------------------------------------------------------------------------------------
    def invented(self) -> str:
        """A name in no list ("Tavrin", "Oskello"): the tagger must also learn names from their context alone."""
        rng = self.rng
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
        return word.title()

    def given(self) -> str:
        common, every, _, _ = _census()
        if self.rng.random() < self.invent:
            return self.invented()
        return self.rng.choice(common if self.rng.random() < 0.6 else every).title()

    def surname(self) -> str:
        _, _, common, every = _census()
        if self.rng.random() < self.invent:
            return self.invented()
        word = self.rng.choice(common if self.rng.random() < 0.5 else every)
        if self.rng.random() < 0.04:
            return self.rng.choice(("O'", "Mc", "Mac")) + word.title()
        if self.rng.random() < 0.04:
            return word.title() + "-" + self.rng.choice(every).title()
        return word.title()

    def name(self, original: str) -> str:
        words = _WORD.findall(original)
        if not words:
            return original
        if len(words) == 1:
            if len(words[0]) == 1:
                return self.rng.choice(string.ascii_uppercase)
            value = self.given() if self.rng.random() < 0.5 else self.surname()
        else:
            parts = []
            for i, word in enumerate(words):
                if len(word) == 1:
                    parts.append(self.rng.choice(string.ascii_uppercase) + ("." if "." in original else ""))
                else:
                    parts.append(self.given() if i == 0 and i < len(words) - 1 else self.surname())
            value = " ".join(parts)
        if self.rng.random() < self.misspell:
            words = value.split(" ")
            k = self.rng.randrange(len(words))
            words[k] = _misspelt(self.rng, words[k])
            value = " ".join(words)
        return value

    # -- places -------------------------------------------------------------------------------------------------
    def town(self) -> str:
        roll = self.rng.random()
        if roll < 0.45:
            return (self.rng.choice(_TOWN_HEADS) + self.rng.choice(_TOWN_TAILS)).title()
        if roll < 0.75:
            return self.surname()
        if roll < 0.9:
            return self.rng.choice(sorted(CITIES)).title()
        return f"{self.town()} {self.rng.choice(_PLACE_WORDS)}"

    def initials(self) -> str:
        return "".join(self.rng.choice(string.ascii_uppercase) for _ in range(self.rng.choice((2, 2, 3, 3, 4))))

    def place(self, original: str) -> str:
        letters = "".join(_WORD.findall(original))
        if letters.isupper() and 2 <= len(letters) <= 4 and self.rng.random() < 0.7:
            return self.initials()
        roll = self.rng.random()
        if roll < 0.45:
            return self.town()
        if roll < 0.85:
            return self.rng.choice(_HOSPITAL_FORMS).format(self.town() if self.rng.random() < 0.6 else self.given())
        return self.initials()

    # -- numbers ------------------------------------------------------------------------------------------------
    def date(self, original: str) -> str:
        rng = self.rng
        month, day, year = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1930, 2029)
        if rng.random() < 0.5 and re.fullmatch(r"\d{1,2}([/\-.])\d{1,2}(?:\1\d{2,4})?", original.strip()):
            sep = re.search(r"[/\-.]", original).group()  # keep the written form, new numbers
            parts = original.strip().split(sep)
            values = [str(month).zfill(len(parts[0])), str(day).zfill(len(parts[1]))]
            if len(parts) == 3:
                values.append(str(year) if len(parts[2]) == 4 else f"{year % 100:02d}")
            return sep.join(values)
        name = _MONTHS[month - 1]
        ordinal = f"{day}{'th' if 11 <= day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"
        forms = (f"{month}/{day}", f"{month}/{day}", f"{month}/{day}/{year % 100:02d}", f"{month}/{day}/{year}",
                 f"{month:02d}/{day:02d}/{year}", f"{month}-{day}-{year % 100:02d}", f"{year}-{month:02d}-{day:02d}",
                 f"{name} {day}", f"{name[:3]} {day}", f"{name[:3]}. {day}", f"{name} {day}, {year}",
                 f"{name[:3]} {ordinal}", f"{day} {name}", ordinal, f"{name} {year}", f"{month}/{year % 100:02d}",
                 f"{month:02d}{day:02d}{year % 100:02d}", name)
        return rng.choice(forms)

    def year(self, original: str) -> str:
        year = self.rng.randint(1930, 2029)
        digits = sum(c.isdigit() for c in original)
        if digits == 2 or (digits != 4 and self.rng.random() < 0.4):
            return ("'" if self.rng.random() < 0.3 else "") + f"{year % 100:02d}"
        return str(year)

    def phone(self, original: str) -> str:
        digits = "".join(c for c in original if c.isdigit())
        rng = self.rng
        if rng.random() < 0.5 and digits:  # the same shape, new digits
            return re.sub(r"\d", lambda _: str(rng.randrange(10)), original.strip())
        d = lambda n: "".join(str(rng.randrange(10)) for _ in range(n))  # noqa: E731
        return rng.choice((f"{d(3)}-{d(3)}-{d(4)}", f"({d(3)}) {d(3)}-{d(4)}", f"{d(3)}.{d(3)}.{d(4)}",
                           f"{d(3)}-{d(4)}", f"{d(5)}", f"{d(4)}", f"x{d(4)}", f"{d(3)}/{d(3)}/{d(4)}",
                           f"1-{d(3)}-{d(3)}-{d(4)}", f"{d(10)}"))

    def other(self, original: str) -> str:
        rng = self.rng
        return "".join(str(rng.randrange(10)) if c.isdigit() else _like(c, rng.choice(string.ascii_lowercase))
                       if c.isalpha() else c for c in original)

    def value(self, kind: str, original: str) -> str:
        """A stand-in for gold PHI ``original`` of PhysioNet type ``kind``, in a fitting letter case."""
        core = original.strip(" ,.;:()")
        if kind in NAME_TYPES or kind == "PTNameInitial":
            value = self.name(core)
        elif kind == "Location":
            value = self.place(core)
        elif kind == "Date":
            value = self.date(core)
        elif kind == "DateYear":
            return self.year(core)
        elif kind == "Phone":
            return self.phone(core)
        elif kind == "Age":
            return str(self.rng.randint(90, 104))
        else:
            return self.other(core)
        return _casing(self.rng, core, value)


@dataclass(frozen=True)
class AugmentedNote:
    """A copy of a training note: its new text and gold spans ``(start, end, type)`` into that text."""

    note_id: str
    text: str
    phi: tuple[tuple[int, int, str], ...]


# Context insertion: plain sentences of the notes become PHI contexts. A relative's name after the relation word
# ("daughter called" -> "daughter Zelda called"), the patient's name for "pt"/"patient"/"he"/"she" as a subject
# ("once pt woke up" -> "once Orrin woke up": names with no cue at all), a clinician's name for the role before a
# reporting verb ("MD aware" -> "Dr. Quorvath aware", "HO notified" -> "Ysolde Quorvath notified"), and a place for an
# unnamed outside hospital ("transferred from OSH" -> "transferred from Harlow Memorial").
_RELATIVES = ("wife|husband|spouse|son|daughter|dtr|dau|sister|brother|mother|mom|father|dad|friend|niece|nephew|"
              "grandson|granddaughter|aunt|uncle|cousin|neighbor|boyfriend|girlfriend|fiance|partner|"
              "daughter-in-law|son-in-law|sister-in-law|brother-in-law|proxy|hcp")
INSERT_RELATIVE = re.compile(rf"(?<![\w'-])(?:{_RELATIVES})(?![\w'-])(?=[ \t]+(?:[a-z]+|[A-Z]+)\b)", re.I)
REPLACE_PATIENT = re.compile(r"(?<![\w'/.-])(?:the\s+patient|patient|pt\.?|he|she)(?=(?:'s)?[ \t]+[a-z]{2,})", re.I)
REPLACE_CLINICIAN = re.compile(r"(?<![\w'/.-])(?:md|ho|np|resident|team|doctor|intern|fellow|attending|surgeon|"
                               r"cardiologist|physician|pa)(?=[ \t]+(?:aware|notified|called|paged|informed|updated|"
                               r"made\s+aware|in\s+to|at\s+bedside|came|ordered|spoke|stated|wants)\b)", re.I)
REPLACE_PLACE = re.compile(r"(?<![\w'-])(?:from|to|at)[ \t]+((?:the[ \t]+|an[ \t]+)?(?:osh|outside[ \t]+hospital|"
                           r"another[ \t]+hospital|nursing[ \t]+home|rehab))(?![\w'-])", re.I)


def _note_case(text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    upper = sum(c.isupper() for c in letters) / max(len(letters), 1)
    return "upper" if upper > 0.6 else "lower" if upper < 0.02 else "mixed"


def _in_case(rng: random.Random, case: str, value: str, near: str = "") -> str:
    """``value`` in the case of the note (``case``) or of the word it replaces or follows (``near``)."""
    if len(near) > 1 and near.isupper():
        return value.upper()
    if case == "upper":
        return value.upper()
    if case == "lower" and rng.random() < 0.7:
        return value.lower()
    return value


_PLAIN_WORD = re.compile(r"(?<![\w'’-])[a-zA-Z]{5,}(?![\w'’-])")


def surrogate_copy(note_id: str, text: str, phi: Sequence[tuple[int, int, str]], rng: random.Random,
                   case: str = "keep", insert: float = 0.0, typos: float = 0.0) -> AugmentedNote:
    """``text`` with every gold span replaced by a stand-in (punctuation at its edges kept), names and places put
    into a share ``insert`` of the plain contexts that take them (see above), then put in ``case`` ("keep",
    "upper", "lower"). Equal originals of one type get equal stand-ins; one patient per copy."""
    surrogator = Surrogator(rng)
    chosen: dict[tuple[str, str], str] = {}
    # edits: (start, end, [(piece, gold type or None), ...]) replacing text[start:end]
    edits: list[tuple[int, int, list[tuple[str, str | None]]]] = []
    for start, end, kind in sorted(phi):
        original = text[start:end]
        lead = len(original) - len(original.lstrip(" ,.;:()"))
        trail = len(original) - len(original.rstrip(" ,.;:()"))
        core = original[lead : len(original) - trail] if len(original) > lead + trail else original
        key = (kind, core.lower())
        if key not in chosen:
            chosen[key] = surrogator.value(kind, core) or core
        value = original[:lead] + chosen[key] + original[len(original) - trail :] if core != original else chosen[key]
        edits.append((start, end, [(value, kind)]))
    if insert:  # never next to or over gold PHI: gold edits always apply
        edits += [edit for edit in _insertions(text, rng, surrogator, insert)
                  if not any(s <= edit[1] + 3 and edit[0] <= e for s, e, _ in phi)]
    if typos:  # misspelt plain words, so that an unknown word is not taken for a name on that alone
        edits += [(m.start(), m.end(), [(_misspelt(rng, m.group()), None)]) for m in _PLAIN_WORD.finditer(text)
                  if rng.random() < typos and not any(s < m.end() and m.start() < e for s, e, _ in phi)]
    pieces, spans, cursor, length = [], [], 0, 0
    for start, end, parts in sorted(edits, key=lambda e: (e[0], e[1])):
        if start < cursor:
            continue  # overlapping gold spans (rare): the first one wins
        pieces.append(text[cursor:start])
        length += start - cursor
        for piece, kind in parts:
            if kind:
                spans.append((length, length + len(piece), kind))
            pieces.append(piece)
            length += len(piece)
        cursor = end
    pieces.append(text[cursor:])
    return AugmentedNote(note_id, recase("".join(pieces), case), tuple(spans))


def _insertions(text: str, rng: random.Random, surrogator: Surrogator, rate: float):
    case = _note_case(text)
    given, last = surrogator.given(), surrogator.surname()
    patient_forms = (given, f"{given} {last}", last, f"Mr. {last}", f"Mrs. {last}", f"Ms. {last}")
    for match in INSERT_RELATIVE.finditer(text):
        if rng.random() < rate:
            name = surrogator.given() if rng.random() < 0.7 else f"{surrogator.given()} {surrogator.surname()}"
            yield match.end(), match.end(), [(" ", None), (_in_case(rng, case, name, match.group()),
                                                            "RelativeProxyName")]
    for match in REPLACE_PATIENT.finditer(text):
        if rng.random() < rate / 2:
            name = _in_case(rng, case, rng.choice(patient_forms), match.group())
            yield match.start(), match.end(), [(name, "PTName")]
    for match in REPLACE_CLINICIAN.finditer(text):
        if rng.random() < rate:
            name = surrogator.surname() if rng.random() < 0.6 else f"{surrogator.given()} {surrogator.surname()}"
            title = rng.choice(("Dr. ", "Dr ", "", "", ""))
            near = match.group()
            yield match.start(), match.end(), ([(_in_case(rng, case, title, near), None)] if title else []) + \
                [(_in_case(rng, case, name, near), "HCPName")]
    for match in REPLACE_PLACE.finditer(text):
        if rng.random() < rate:
            yield match.start(1), match.end(1), [(_in_case(rng, case, surrogator.place("x"), match.group(1)),
                                                  "Location")]


def recase(text: str, case: str) -> str:
    """``text`` in capitals or lower case, only where that keeps every offset (one character per character)."""
    if case == "keep":
        return text
    changed = text.upper() if case == "upper" else text.lower()
    return changed if len(changed) == len(text) else text


def augment(notes: Iterable[tuple[str, str, Sequence[tuple[int, int, str]]]], copies: int = 4,
            case_copies: int = 1, seed: int = 13, insert: float = 0.0, typos: float = 0.0) -> list[AugmentedNote]:
    """For each ``(note_id, text, phi)``: ``copies`` surrogate copies (one in three in one case, capitals or
    lower; names put into a share ``insert`` of the plain contexts, a share ``typos`` of plain words of five
    letters or more misspelt) and ``case_copies`` copies of the original
    text in one case (alternately capitals and lower case). Ids are ``NOTE~sN`` and ``NOTE~cN``; deterministic for
    a seed."""
    rng = random.Random(seed)
    out: list[AugmentedNote] = []
    for note_id, text, phi in notes:
        for k in range(copies):
            case = rng.choice(("keep", "keep", "keep", "keep", "upper", "lower"))
            out.append(surrogate_copy(f"{note_id}~s{k}", text, phi, rng, case, insert, typos))
        for k in range(case_copies):
            case = "upper" if (k + rng.randrange(2)) % 2 else "lower"
            out.append(AugmentedNote(f"{note_id}~c{k}", recase(text, case), tuple(phi)))
    return out
