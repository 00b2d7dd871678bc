"""Surrogate values: realistic stand-ins instead of masks, keyed by a secret salt.

* Names and places: invented words (not drawn from any real list), chosen by HMAC(salt, patient, original) so the
  same person reads the same everywhere in a patient's notes, with the original's letter case.
* Dates: every date of one patient moves by the same number of days (HMAC(salt, patient) -> 30..1095 days back),
  so intervals survive; the written form is kept ("7/22" -> "3/14", "Nov. 16, 2015" -> "Jul. 4, 2015").
* Numbers (phones, ids): each digit replaced, separators kept. Ages over 89 become "90+".
Without the salt the mapping cannot be recomputed; the salt is never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from ehr_models.deid.dates import MONTHS
from ehr_models.deid.phi import AGE, DATE, EMAIL, IP, LOCATION, NAME, URL

_FIRST = ("Alden Bryn Calla Dorian Elsie Farrin Greer Hollis Ione Jory Kestrel Linnea Marlow Nessa Orrin Perrin "
          "Quilla Rowan Soren Talia Ulric Vesna Wren Yara Zeller Anselm Briony Cassian Delphine Emeric").split()
_LAST = ("Ashgrove Belcourt Corrigan Dunmore Elsworth Fairbairn Galloway Hartwell Ingleby Jessop Kilbride Lockhart "
         "Merriman Northcott Oakes Pemberton Quarry Radcliffe Stanwick Thornbury Underhill Vickery Whitlock "
         "Yardley Abernathy Blackwood Castellane Drummond Everleigh Fenwick Glenister Holloway").split()
_PLACE_HEAD = "Elm Oak Maple Cedar Willow Birch Ash Pine Alder Hazel Laurel Rowan Stone Brook Fair Clear".split()
_PLACE_TAIL = "wood field ton dale view ford haven mont ridge brook vale crest".split()
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
_REFERENCE_YEAR = 2001  # for dates written without a year (not a leap year)


def _month_number(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word == "sept":
        return 9
    for number, name in enumerate(_MONTH_NAMES, 1):
        if word and name.lower().startswith(word) and len(word) >= 3 and word in MONTHS:
            return number
    return None


def _like(original: str, value: str) -> str:
    """``value`` in the letter case of ``original`` (UPPER, lower or Title)."""
    if original.isupper() and len(original) > 1:
        return value.upper()
    if original.islower():
        return value.lower()
    return value


class Surrogates:
    """Stand-in values for one patient under one salt (see module doc)."""

    def __init__(self, salt: str | bytes, patient_id: str) -> None:
        self.salt = salt.encode() if isinstance(salt, str) else salt
        self.patient_id = patient_id

    def _digest(self, *parts: str) -> bytes:
        return hmac.new(self.salt, "\x1f".join((self.patient_id, *parts)).encode(), hashlib.sha256).digest()

    def _pick(self, options: list[str] | tuple[str, ...], *parts: str) -> str:
        return options[int.from_bytes(self._digest(*parts)[:4], "big") % len(options)]

    @property
    def shift_days(self) -> int:
        """Days every date of this patient moves back (30..1095)."""
        return 30 + int.from_bytes(self._digest("date-shift")[:4], "big") % 1066

    def value(self, label: str, original: str) -> str:
        if label == NAME:
            return self._words(original, lambda w: _LAST if len(w) > 1 else list("ABCDEFGHJKLMNPRSTW"), "name")
        if label == LOCATION:
            return self._words(original, lambda w: [h + t for h in _PLACE_HEAD for t in _PLACE_TAIL], "place")
        if label == DATE:
            return self.date(original)
        if label == AGE:
            return "90+"
        if label == EMAIL:
            return f"user{int.from_bytes(self._digest('email', original)[:2], 'big')}@example.org"
        if label == URL:
            return f"https://example.org/{int.from_bytes(self._digest('url', original)[:2], 'big')}"
        if label == IP:
            return f"192.0.2.{self._digest('ip', original)[0] % 254 + 1}"
        return self._characters(original)

    def _words(self, original: str, options, kind: str) -> str:
        def one(match: re.Match) -> str:
            word = match.group()
            return _like(word, self._pick(options(word), kind, word.lower()))
        return re.sub(r"[^\W\d_]+", one, original)

    def _characters(self, original: str) -> str:
        digest = self._digest("chars", original)
        out = []
        for i, char in enumerate(original):
            byte = digest[i % len(digest)] + i
            if char.isdigit():
                out.append(str(byte % 10))
            elif char.isalpha():
                out.append(_like(char, chr(ord("a") + byte % 26)))
            else:
                out.append(char)
        return "".join(out)

    # -- dates ------------------------------------------------------------------------------------------------
    def _shift(self, year: int, month: int, day: int) -> dt.date:
        return dt.date(year, month, day) - dt.timedelta(days=self.shift_days)

    def date(self, original: str) -> str:
        """The shifted date in the original's written form; a form it cannot read becomes ``[**DATE**]``."""
        try:
            shifted = self._date(original)
        except ValueError:  # e.g. "2/30": not a calendar date
            shifted = None
        return shifted if shifted is not None else "[**DATE**]"

    def _date(self, text: str) -> str | None:
        numeric = re.fullmatch(r"(\d{1,4})([/\-.])(\d{1,4})(?:\2(\d{2,4}))?", text)
        if numeric:
            return self._numeric(*numeric.groups())
        year_only = re.fullmatch(r"'?(\d{2}|\d{4})'?", text)
        if year_only:
            digits = year_only.group(1)
            year = int(digits) if len(digits) == 4 else 1900 + int(digits)
            new = self._shift(year, 7, 1).year
            return text.replace(digits, str(new) if len(digits) == 4 else f"{new % 100:02d}")
        ordinal = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)", text, re.I)
        if ordinal:
            day = self._shift(_REFERENCE_YEAR, 1, int(ordinal.group(1))).day
            return f"{day}{'th' if 11 <= day <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"
        return self._named(text)

    def _numeric(self, first: str, separator: str, second: str, third: str | None) -> str | None:
        if len(first) == 4:  # ISO year-month-day
            new = self._shift(int(first), int(second), int(third or 1))
            return f"{new.year}{separator}{new.month:0{len(second)}d}{separator}{new.day:0{len(third or '1')}d}"
        month = int(first)
        if third is None and (len(second) > 2 or int(second) > 31):  # month/year: "8/87", "3/1992"
            new = self._shift(int(second) if len(second) == 4 else 1900 + int(second), month, 15)
            year = str(new.year) if len(second) == 4 else f"{new.year % 100:02d}"
            return f"{new.month:0{len(first)}d}{separator}{year}"
        year = _REFERENCE_YEAR if third is None else (int(third) if len(third) == 4 else 1900 + int(third))
        new = self._shift(year, month, int(second))
        out = f"{new.month:0{len(first)}d}{separator}{new.day:0{len(second)}d}"
        if third is not None:
            out += separator + (str(new.year) if len(third) == 4 else f"{new.year % 100:02d}")
        return out

    def _named(self, text: str) -> str | None:
        words = re.findall(r"[A-Za-z]+|\d+", text)
        month = next((_month_number(w) for w in words if _month_number(w)), None)
        if month is None:
            return None
        numbers = [int(w) for w in words if w.isdigit()]
        day = next((n for n in numbers if 1 <= n <= 31), 15)
        year = next((n for n in numbers if n >= 1000), _REFERENCE_YEAR)
        new = self._shift(year, month, day)
        month_word = next(w for w in words if _month_number(w))
        name = _MONTH_NAMES[new.month - 1]
        name = name[:3] if len(month_word) <= 4 else name
        out = text.replace(month_word, _like(month_word, name), 1)
        if any(1 <= n <= 31 for n in numbers):
            out = re.sub(rf"\b{day}\b", str(new.day), out, count=1)
        if year != _REFERENCE_YEAR:
            out = out.replace(str(year), str(new.year), 1)
        return out
