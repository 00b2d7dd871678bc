"""PHI spans: what every recognizer returns and what the engine hands back (offsets into the ORIGINAL text).

Labels are the Safe Harbor groups that text can carry. Overlapping candidates from several recognizers are merged
into one span per covered stretch, so a transform never replaces the same character twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

NAME, LOCATION, DATE, AGE, PHONE, EMAIL, URL, IP, SSN, ID, OTHER = (
    "NAME", "LOCATION", "DATE", "AGE", "PHONE", "EMAIL", "URL", "IP", "SSN", "ID", "OTHER")
LABELS = (NAME, LOCATION, DATE, AGE, PHONE, EMAIL, URL, IP, SSN, ID, OTHER)
# When merged candidates disagree, the more specific structured label wins over the free-text ones.
_PRIORITY = {label: rank for rank, label in enumerate((SSN, EMAIL, URL, IP, PHONE, ID, DATE, AGE, NAME, LOCATION,
                                                       OTHER))}


@dataclass(frozen=True, order=True)
class PhiSpan:
    """``text[start:end]`` is PHI of type ``label``; ``source`` names the recognizer (never the PHI itself)."""

    start: int
    end: int
    label: str
    source: str = ""
    score: float = 1.0


def merge(spans: Iterable[PhiSpan], text: str = "") -> list[PhiSpan]:
    """Return non-overlapping spans in text order. Overlapping candidates become one span; touching ones of one
    label too, and, when ``text`` is given, ones separated only by a hyphen or apostrophe ("RETTERER-MOORE")."""
    merged: list[PhiSpan] = []
    for span in sorted(spans):
        if span.end <= span.start:
            continue
        if merged:
            last = merged[-1]
            gap = text[last.end : span.start] if text else None
            joins = span.label == last.label and (span.start == last.end or (gap is not None and gap in ("-", "'")))
            if span.start < last.end or joins:
                label = min((last.label, span.label), key=lambda item: _PRIORITY.get(item, len(_PRIORITY)))
                merged[-1] = PhiSpan(last.start, max(last.end, span.end), label,
                                     last.source if label == last.label else span.source,
                                     max(last.score, span.score))
                continue
        merged.append(span)
    return merged
