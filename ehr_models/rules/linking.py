"""Chained nearest-medication attachment: which medication(s) own each attribute, by position alone.

Shared by the rules annotator (which drops attributes no medication can own) and the ``"nearest"`` relation
linker (``ehr_models.relations``), so the baseline and the linker compare the same attachment.
"""

from __future__ import annotations

import bisect
import re
from typing import Callable, Protocol, Sequence

from ehr_models.text import segments

_CLAUSE_BREAK = re.compile(r"[,;(]|\band\b|\bthen\b", re.I)
_LEADS_INTO = re.compile(r"\s*(?:of\s+)?$")  # "IV heparin", "5 mg coumadin", "2 tabs of tylenol"
_COORDINATION = re.compile(r"^\s*(?:,|/|&|\+|and|or|,\s*and|,\s*or)\s*$", re.I)

SegmentOf = Callable[[int], int]


class SpanLike(Protocol):
    start: int
    end: int
    label: str


def segment_locator(bounds: Sequence[tuple[int, int]]) -> SegmentOf:
    """A function giving the index of the segment (of ``bounds``, from ``segments``) holding a character offset."""
    starts = [start for start, _ in bounds]

    def segment_of(position: int) -> int:
        return max(bisect.bisect_right(starts, position) - 1, 0)

    return segment_of


def attach(text: str, medications: Sequence[SpanLike], attributes: Sequence[SpanLike],
           segment_of: SegmentOf | None = None, max_distance: int = 80, chain_gap: int = 20,
           lead_gap: int = 12) -> list[list[tuple[int, float]]]:
    """For each of ``attributes`` (taken in text order), its owners as ``(medication index, score)`` pairs.

    ``medications`` must be sorted by start. Returns one list per attribute, aligned with ``attributes``; an
    empty list means no medication can own it. An attribute continues the chain of the nearest preceding
    medication in its segment ("lasix 40 mg iv bid": each piece close to the previous one), or leads the
    medication right after it ("IV heparin", "5 mg coumadin"); medications coordinated with the owner share it
    ("tylenol and motrin prn").
    """
    if segment_of is None:
        segment_of = segment_locator(list(segments(text)))
    med_segment = [segment_of(m.start) for m in medications]
    frontier = [m.end for m in medications]  # where each medication's chain of attributes ends so far
    result: list[list[tuple[int, float]]] = [[] for _ in attributes]
    for k in sorted(range(len(attributes)), key=lambda i: attributes[i].start):
        attribute = attributes[k]
        segment = segment_of(attribute.start)
        same = [i for i, s in enumerate(med_segment) if s == segment]
        pick = _pick(text, attribute, medications, same, frontier, max_distance, chain_gap, lead_gap)
        if pick is None:
            continue
        owner, gap = pick
        score = round(1.0 / (1.0 + gap / 20.0), 4)
        owners = [(owner, score)]
        # Walk backwards through coordinated medications: "tylenol and motrin prn" gives "prn" to both.
        j = same.index(owner)
        while j > 0 and _COORDINATION.match(text[medications[same[j - 1]].end : medications[same[j]].start]):
            j -= 1
            owners.append((same[j], score))
        for i, _ in owners:
            frontier[i] = max(frontier[i], attribute.end)
        result[k] = owners
    return result


def _pick(text: str, attribute: SpanLike, medications: Sequence[SpanLike], same: list[int], frontier: list[int],
          max_distance: int, chain_gap: int, lead_gap: int) -> tuple[int, int] | None:
    """The owning medication and its gap: the chained one before, or the one the attribute leads into."""
    before = [i for i in same if medications[i].end <= attribute.start]
    after = [i for i in same if medications[i].start >= attribute.end]
    chained = None
    if before:
        i = before[-1]
        gap = attribute.start - frontier[i]
        if 0 <= gap <= chain_gap and attribute.start - medications[i].end <= max_distance:
            chained = (i, gap)
    leading = None
    if after and attribute.label != "reason":
        gap = medications[after[0]].start - attribute.end
        if gap <= lead_gap and _LEADS_INTO.match(text, attribute.end, medications[after[0]].start):
            leading = (after[0], gap)
    if chained and leading:
        between = text[frontier[chained[0]] : attribute.start]
        return leading if leading[1] <= 2 and (chained[1] > 2 or _CLAUSE_BREAK.search(between)) else chained
    return chained or leading
