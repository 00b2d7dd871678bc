"""Dates in their clinical forms: "7/22", "8/24/89", "3-24-17", "2004-03-01", "Nov. 16, 2015", "sept", "the 11th",
years ("MI '92", "CABG 1957") when configured.

Nursing notes are full of slashes that are not dates: ventilator settings ("PSV 10/5", "CPAP 5/5"), fractions
("1/2 NS", "rales 1/3 up"), pain scores ("CP 3/10"), strength ("2/2"), haemodynamics ("co/ci 4-6/2.8"). A
month/day candidate is dropped when its neighbourhood says it is one of those.
"""

from __future__ import annotations

import re

from ehr_models.deid.phi import DATE, PhiSpan
from ehr_models.deid.recognizers import Configurable, Folded, NoteContext

_M = r"(?:0?[1-9]|1[0-2])"
_D = r"(?:0?[1-9]|[12]\d|3[01])"
_Y = r"(?:19\d\d|20\d\d|\d\d)"
NUMERIC = re.compile(
    rf"(?<![\w/])(?<![\d/][.\-])(?:{_M}/{_D}(?:/{_Y})?|{_M}-{_D}-{_Y}|(?:19|20)\d\d-{_M}-{_D}|{_M}\.{_D}\.(?:19|20)\d\d"
    rf"|{_M}/(?:[3-9]\d|0\d)(?=\W|$)|{_M}/(?:19|20)\d\d)(?![\w/]|\.\d|-\d|%)"
)
MONTHS = ("january february march april may june july august september october november december jan feb mar "
          "apr jun jul aug sep sept oct nov dec").split()
# Month words that are also ordinary words or shorthand ("may", "march", "dec" = decreased): only with a day.
_AMBIGUOUS_MONTHS = frozenset("may march mar dec jan jun jul aug sep".split())
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"
MONTH_DAY = re.compile(
    rf"\b(?:(?:{_MONTH})\.?\s*{_D}{_ORD}?\b(?:,?\s*(?:19|20)\d\d\b)?|{_D}{_ORD}?\s+(?:of\s+)?(?:{_MONTH})\b\.?"
    rf"(?:,?\s*(?:19|20)\d\d\b)?|(?:{_MONTH})\.?,?\s+(?:of\s+)?(?:19|20)\d\d\b)", re.I)
MONTH_ALONE = re.compile(rf"\b(?:{_MONTH})\b\.?", re.I)
# "on the 11th." / "since the 3rd," but not "on 1st step mattress" or "on 2nd cpap trial".
ORDINAL_DAY = re.compile(rf"\b(?:on|since|until|till|by|of)\s+(?:the\s+)?({_D}{_ORD})\b"
                         rf"(?=\s*(?:[,.;:)\n]|$|at\b|in\b|and\b|of\s+(?:{_MONTH})))", re.I)
YEAR = re.compile(r"(?<![\w/.\-:])(?:'(\d\d)|(\d\d)'(?!\w)|((?:19[3-9]|20[0-4])\d))(?![\w/:%]|\.\d|-\d)")
# Two-digit years after a history item ("MI 92", "CABG 81,"): only in this shape.
_HISTORY_YEAR = re.compile(
    r"\b(?:mi|cabg|cva|ptca|stent|avr|mvr|turp|tia|chf|dvt|pe|appy|ca|surgery|repair|resection|lumpectomy|"
    r"mastectomy|hysterectomy|cholecystectomy|pacer|ppm|aicd|redo)\s+(?:x\s?\d\s+)?(\d\d)(?=\s*[,.;)\n]|\s*$)", re.I)

# ... and before it in history lists ("09 PTCA to LCX", "13 stent to LCX"): two digits opening the item.
_HISTORY_YEAR_BEFORE = re.compile(r"(?:^|(?<=[.:;,]\s)|(?<=[.:;,]))\s*(\d\d)\s+"
                                  r"(?=(?:ptca|cabg|stent|stents|avr|mvr|cva|mi|pci|cath|turp|tia|ppm|aicd)\b)",
                                  re.I | re.M)

_SETTINGS = re.compile(
    r"(?:\b(?:ps|psv|cpap|peep|bipap|bi-pap|ipap|epap|ips|vent|ventilation|ventilator|flowby|flow-by|simv|imv|ac|"
    r"co/ci(?:/svr)?|svr|ci|settings|mode|trial|weaned?|wean(?:ed|ing)?\s+to|changed\s+to|placed\s+on|"
    r"cpap/ps|ps/cpap|mask|rales|crackles|perrla|perrl|c/o|cp|pain|angina|headache|strength|"
    r"str|rated|x|of|#|\+)[\s,]*[:=(]?\s*|\d[.\-]|\d|#|/|%[\s,&]*)$", re.I)
_VENT_NEARBY = re.compile(r"\b(?:ps|psv|cpap|peep|bipap|simv|imv|ac|vent|fio2)\b|\d\s*x\s*\d|%", re.I)
_VENT_CONTEXT = re.compile(r"\b(?:vent|resp|cpap|ps|psv|peep|abg|trial|trialed|wean|weaned|extubat\w*)\b", re.I)
_PAIN_NEARBY = re.compile(r"\b(?:pain|cp|angina|c/o|rated|scale|headache|relief|relieved|reassessment)\b", re.I)
_NOT_DATE_AFTER = re.compile(
    r"^\s*(?:peep|ps|psv|cpap|cm|%|bottles?|strength|str|ns|ns\b|hr|hrs|hours?|mins?|pain|x\b|ips|ipap|epap|"
    r"fio2|\.\d|units?|tabs?|amps?|cc|ml|mg|l\b|lpm|of\s+(?:peep|ps|the)|up\b|way|pressure)", re.I)
_DATE_BEFORE = re.compile(r"\b(?:on|since|from|until|till|by|admitted|dated|date|as\s+of|thru|through|to|"
                          r"d/c'?d|started|done|drawn|placed|sent|f/u|since)\s*$", re.I)
# Six digits that read as month, day and year ("071598"): no clinical quantity is written so, and if it is an
# identifier instead it is PHI all the same.
COMPACT = re.compile(r"(?<![\w/.\-:$#,])(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d\d(?![\w/:%]|[.,]\d|-\d)")
_VENT_SETTING = re.compile(r"\b(?:ps|psv|cpap|bipap|bi-pap|peep|ipap|epap|pressure\s+support)\b", re.I)
_EVENT_BEFORE = re.compile(r"\b(?:placed|since|dated|date|admitted|started|done|drawn|sent|inserted|changed|"
                           r"extubated|intubated|d/c'?d)\W*$", re.I)
_FRACTIONS = frozenset("1/2 1/3 2/3 1/4 3/4 2/4 1/8 3/8".split())


_FOLDED_MONTH_DAY, _FOLDED_MONTH_ALONE, _FOLDED_ORDINAL_DAY, _FOLDED_HISTORY_YEAR, _FOLDED_HISTORY_YEAR_BEFORE = (
    Folded(p) for p in (MONTH_DAY, MONTH_ALONE, ORDINAL_DAY, _HISTORY_YEAR, _HISTORY_YEAR_BEFORE))


class DateRecognizer(Configurable):
    """All date elements but (optionally) the year; ``years`` also removes years ("'92", "in 1993")."""

    name = "dates"
    OPTIONS = {"years": True, "month_names": True}

    def __init__(self, years: bool = True, month_names: bool = True) -> None:
        self.years = years
        self.month_names = month_names

    def find(self, note: NoteContext) -> list[PhiSpan]:
        text = note.text
        spans = [PhiSpan(m.start(), m.end(), DATE, self.name) for m in NUMERIC.finditer(text)
                 if self._numeric_is_date(text, m)]
        spans += [PhiSpan(m.start(), m.end(), DATE, self.name) for m in COMPACT.finditer(text)]
        if self.month_names:
            spans += [PhiSpan(m.start(), m.end(), DATE, self.name) for m in _FOLDED_MONTH_DAY.finditer(note)]
            spans += [PhiSpan(m.start(), m.end(), DATE, self.name) for m in _FOLDED_MONTH_ALONE.finditer(note)
                      if m.group().rstrip(".").lower() not in _AMBIGUOUS_MONTHS]
            spans += [PhiSpan(m.start(1), m.end(1), DATE, self.name) for m in _FOLDED_ORDINAL_DAY.finditer(note)]
        if self.years:
            spans += [PhiSpan(m.start(m.lastindex), m.end(m.lastindex), DATE, self.name)
                      for m in YEAR.finditer(text) if self._year_is_date(text, m)]
            spans += [PhiSpan(m.start(1), m.end(1), DATE, self.name) for m in _FOLDED_HISTORY_YEAR.finditer(note)]
            spans += [PhiSpan(m.start(1), m.end(1), DATE, self.name)
                      for m in _FOLDED_HISTORY_YEAR_BEFORE.finditer(note)]
        return spans

    @staticmethod
    def _numeric_is_date(text: str, match: re.Match) -> bool:
        value = match.group()
        if "/" not in value or value.count("/") > 1:
            return True
        before = text[max(0, match.start() - 30) : match.start()]
        after = text[match.end() : match.end() + 20]
        dated = bool(_DATE_BEFORE.search(before))
        if value in _FRACTIONS and not dated:
            return False
        month, day = value.split("/")
        if month == day and _VENT_CONTEXT.search(text[max(0, match.start() - 60) : match.end() + 20]):
            return False  # "trialed on 5/5", "changed over to 5/5": pressure support over PEEP
        if 5 <= int(month) <= 25 and int(day) <= 12 and not _EVENT_BEFORE.search(before) and (
                _VENT_SETTING.search(before[-40:] + " ") or _VENT_SETTING.search(" " + after[:25])):
            return False  # "PS raised to 12/5", "ON 14/5 BIPAP": pressure support / PEEP, even after "to"
        if day == "10" and (_PAIN_NEARBY.search(before) or _PAIN_NEARBY.search(after)):
            return False
        if not dated and (_SETTINGS.search(before) or _VENT_NEARBY.search(before[-25:])):
            return False
        return not _NOT_DATE_AFTER.match(after)

    @staticmethod
    def _year_is_date(text: str, match: re.Match) -> bool:
        if match.group(3) is None:  # '92 or 92'
            before = text[max(0, match.start() - 1) : match.start()]
            return not before.isdigit()
        before = text[max(0, match.start() - 25) : match.start()].lower()
        after = text[match.end() : match.end() + 12].lower()
        # Four digits are often clock times in nursing notes ("at 1930", "@ 2000", "1900-0700").
        if re.search(r"(?:at|@|approx\.?|approximately|~|by|until|till|since|from|-|to|between|and|of|around|"
                     r"about|began|started|starting|hrs?|time|shift)\s*$", before) and not re.search(
                         r"(?:since|in|of|from)\s*$", before):
            return False
        if re.match(r"\s*(?:-\s*\d|hrs?\b|pm\b|am\b|h\b|:|cc|ml|mg|units?|kcal|\d)", after):
            return False
        return bool(re.search(r"(?:in|since|of|year|yr|dx|dx'd|diagnosed|s/p|sp|hx|h/o|'|\(|,)\s*$|"
                              r"\b(?:mi|cabg|cva|ptca|avr|mvr|ca|tia|repair|surgery|resection|lumpectomy|"
                              r"stent|pacer|ppm|aicd|redo|turp|appy|debulking|transplant)\s*(?:x\s?\d\s*)?,?\s*$",
                              before))
