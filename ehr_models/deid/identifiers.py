"""Structured identifiers: phone/fax/pager numbers, e-mail, URLs, IP addresses, SSNs, record/account/plan/licence/
vehicle/device numbers, street addresses and ZIP codes, and ages over 89 (Safe Harbor keeps ages up to 89).

Each is a regular expression plus, where bare digits are ambiguous, a keyword that must come first ("pager
54321", "MRN: 123456"); an unlabelled 10-digit phone number or SSN shape needs none.
"""

from __future__ import annotations

import re

from ehr_models.deid.phi import AGE, EMAIL, ID, IP, LOCATION, OTHER, PHONE, SSN, URL, PhiSpan
from ehr_models.deid.recognizers import Configurable, Folded, NoteContext

_SEP = r"[\s.\-/]{0,3}"
PHONE_FULL = re.compile(rf"(?<![\w.\-/])\(?\d{{3}}\)?{_SEP}\d{{3}}[\s.\-/]{{1,3}}\d{{4}}(?![\w/]|\.\d)|"
                        rf"(?<![\w.\-/])\(?\d{{3}}\)?[\s.\-]{{0,3}}\d{{3}}-\d{{4}}(?![\w/]|\.\d)|"
                        rf"\(\d{{6}}-\d{{4}}\)|\(\d{{3}}\s\d{{3}}\s\d{{4,5}}\)")
PHONE_LOCAL = re.compile(r"(?<![\w.\-/])[2-9]\d{2}-\d{4}(?![\w/]|\.\d|-)")
_PHONE_WORDS = (r"(?:phone|ph|tel|telephone|cell|cellular|mobile|home|work|office|fax|pager|page|pg|beeper|bpr|"
                r"contact|reached\s+at|call(?:ed)?\s+at|number|no\.?|#)")
PHONE_KEYWORD = re.compile(rf"\b{_PHONE_WORDS}\s*(?:#|no\.?|number)?\s*[:=\-]*\s*#?\s*(\(?\d[\d \t().\-]{{2,16}}\d)",
                           re.I)
_PHONE_NEAR = re.compile(rf"\b{_PHONE_WORDS}\b|\d{{3}}[\s\-)]*$", re.I)
EMAIL_RE = re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')]+|\b[\w\-]+\.(?:com|org|net|edu|gov|io)(?:/[^\s<>\"')]*)?\b",
                    re.I)
_URL_MARKS = ("http", "www.", ".com", ".org", ".net", ".edu", ".gov", ".io")
IP_RE = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])")
SSN_RE = re.compile(r"(?<![\w\-])\d{3}-\d{2}-\d{4}(?![\w\-])")
_ID_WORDS = (r"(?:mrn|mr\s*#|medical\s+record(?:\s+(?:number|no\.?|#))?|unit\s+(?:no|number|#)|acct|account|"
             r"health\s+plan|member(?:\s+id)?|policy|insurance(?:\s+id)?|medicaid|medicare|subscriber|"
             r"licen[cs]e|lic|dea|npi|vin|plate|serial|s/n|sn|device(?:\s+id)?|model|pacemaker\s+id|ssn|"
             r"social\s+security(?:\s+number)?|id|identifier|case|chart|accession|certificate|badge)")
ID_KEYWORD = re.compile(rf"\b{_ID_WORDS}\s*(?:#|no\.?|number|num)?\s*[:=]?\s*#?\s*"
                        rf"([A-Za-z]{{0,4}}[\-\s]?\d[\w\-]{{3,20}})(?![.,]\d)", re.I)
HASH_ID = re.compile(r"#\s*([A-Za-z]{1,4}\d{1,10}[A-Za-z\d]*)\b")
LONG_NUMBER = re.compile(r"(?<![\w.\-/])\d{7,}(?![\w.\-/])")
# Short forms that are also clinical shorthand ("CT", "DR", "PL") are left out.
_STREET = (r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|drive|lane|ln|way|court|place|terrace|parkway|pkwy|"
           r"highway|hwy|circle|square)")
ADDRESS = re.compile(rf"\b\d{{1,5}}\s+(?:[A-Z][A-Za-z'\-]+\s+){{1,3}}(?i:{_STREET})\b\.?")
_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
           "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
ZIP = re.compile(rf"(?:\b(?:{'|'.join(_STATES)})|\b(?i:zip(?:\s*code)?:?))\s*(\d{{5}}(?:-\d{{4}})?)\b")
AGE_OVER_89 = re.compile(r"\b((?:9\d|1[01]\d))(?=\s*(?:-|\s)?(?:yo\b|y/o|y\.o\.?|yr|yrs|year|years|yoa|y\b|"
                         r"years?\s+old|[mf]\b|yom|yof))|\bage[ds]?\s*:?\s*((?:9\d|1[01]\d))\b", re.I)


_FOLDED_ID_KEYWORD, _FOLDED_PHONE_KEYWORD, _FOLDED_AGE_OVER_89 = (Folded(p) for p in (ID_KEYWORD, PHONE_KEYWORD,
                                                                                      AGE_OVER_89))


def _group_spans(pattern: re.Pattern, text: str, label: str, source: str, group: int = 0) -> list[PhiSpan]:
    return [PhiSpan(m.start(group), m.end(group), label, source) for m in pattern.finditer(text)
            if m.group(group)]


def _digits(text: str, span: PhiSpan) -> int:
    return sum(c.isdigit() for c in text[span.start : span.end])


class IdentifierRecognizer(Configurable):
    """Phone, fax, pager, e-mail, URL, IP, SSN, record and other numbers, addresses, ZIP codes, ages over 89."""

    name = "identifiers"
    OPTIONS = {"local_phones": True, "long_numbers": True}

    def __init__(self, local_phones: bool = True, long_numbers: bool = True) -> None:
        self.local_phones = local_phones
        self.long_numbers = long_numbers

    def find(self, note: NoteContext) -> list[PhiSpan]:
        text, name = note.text, self.name
        lowered = text.lower()
        # E-mail addresses need an "@", URLs a scheme, "www." or a top-level domain: skip the scans without one.
        email = _group_spans(EMAIL_RE, text, EMAIL, name) if "@" in text else []
        url = _group_spans(URL_RE, text, URL, name) if any(m in lowered for m in _URL_MARKS) else []
        spans = (_group_spans(SSN_RE, text, SSN, name) + email + url + _group_spans(IP_RE, text, IP, name)
                 + _group_spans(PHONE_FULL, text, PHONE, name) + self._keyword_phones(note)
                 + [PhiSpan(m.start(1), m.end(1), ID, name) for m in _FOLDED_ID_KEYWORD.finditer(note)
                    if m.group(1) and sum(c.isdigit() for c in m.group(1)) >= 4]
                 + _group_spans(HASH_ID, text, OTHER, name, 1)
                 + _group_spans(ADDRESS, text, LOCATION, name) + _group_spans(ZIP, text, LOCATION, name, 1)
                 + self._ages(note))
        if self.local_phones:  # "202-6694" only near a phone word or an area code: "SVR 954-1183" is not a phone
            spans += [span for span in _group_spans(PHONE_LOCAL, text, PHONE, name)
                      if _PHONE_NEAR.search(text[max(0, span.start - 30) : span.start])]
        if self.long_numbers:
            spans += _group_spans(LONG_NUMBER, text, ID, name)
        return spans

    def _keyword_phones(self, note: NoteContext) -> list[PhiSpan]:
        spans = []
        for match in _FOLDED_PHONE_KEYWORD.finditer(note):
            # pager numbers have 4-5 digits; "home 2" or "#3" are not numbers to remove
            if sum(c.isdigit() for c in match.group(1)) >= 4:
                spans.append(PhiSpan(match.start(1), match.end(1), PHONE, self.name))
        return spans

    def _ages(self, note: NoteContext) -> list[PhiSpan]:
        spans = []
        for match in _FOLDED_AGE_OVER_89.finditer(note):
            group = 1 if match.group(1) else 2
            spans.append(PhiSpan(match.start(group), match.end(group), AGE, self.name))
        return spans
