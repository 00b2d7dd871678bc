"""Candidate (medication, attribute) pairs of a note and what the relation model sees of each.

A pair is a candidate when the two entities are at most ``max_tokens`` tokens and ``max_segments`` sentence-like
segments apart (on the gold train notes that keeps every relation but about 1%). For each pair the model gets the
tokens of a window around it, per-token entity tags, pair roles, positions relative to head and tail, line and
segment breaks, and a few structural features (distances, entities between, the nearest-medication baseline's
choice).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Sequence

from ehr_models.annotation import LABELS, Entity
from ehr_models.rules.linking import attach, segment_locator
from ehr_models.text import normalize_token, segments, tokenize

TAGS = ("O",) + LABELS  # per-token entity tag: index 0 is "no entity"
ROLES = ("none", "head", "tail")
BREAKS = ("none", "line", "segment", "line+segment")  # what separates a token from the previous one
N_STRUCTURAL = 14 + len(LABELS)


@dataclass(frozen=True)
class WindowSettings:
    max_tokens: int = 50  # farthest head-tail distance considered, in tokens
    max_segments: int = 2
    context: int = 5  # tokens kept on each side of the pair
    max_position: int = 30  # relative positions are clipped to [-max_position, max_position]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Pair:
    """One candidate: entity indices, window token range and the model's inputs (ids are vocabulary-free)."""

    head: int
    tail: int
    words: list[str]  # normalized tokens of the window
    tags: list[int]
    roles: list[int]
    head_positions: list[int]  # clipped, shifted to >= 0
    tail_positions: list[int]
    breaks: list[int]
    structural: list[float]


@dataclass
class NoteView:
    """A note's tokens with their entity tags, segment and line numbers, and its entities' token ranges."""

    tokens: list
    tags: list[int]
    segment: list[int]
    line: list[int]
    ranges: list[tuple[int, int]]  # per entity: first token, last token + 1 (at least one token)


def view(text: str, entities: Sequence[Entity]) -> NoteView:
    """Tokenize ``text`` and place ``entities`` on its tokens (an entity covers the tokens it overlaps)."""
    tokens = tokenize(text)
    starts = [t.start for t in tokens]
    segment_of = segment_locator(list(segments(text)))
    segment = [segment_of(t.start) for t in tokens]
    line, count, previous = [], 0, 0
    for token in tokens:
        count += text.count("\n", previous, token.start)
        line.append(count)
        previous = token.start
    tags = [0] * len(tokens)
    ranges = []
    for entity in entities:
        first = max(bisect.bisect_right(starts, entity.start) - 1, 0)
        if tokens and tokens[first].end <= entity.start:
            first += 1
        last = max(bisect.bisect_left(starts, entity.end), first + 1)
        first = min(first, max(len(tokens) - 1, 0))
        last = min(last, max(len(tokens), first + 1))
        ranges.append((first, last))
        for i in range(first, min(last, len(tokens))):
            tags[i] = TAGS.index(entity.label)
    return NoteView(tokens, tags, segment, line, ranges)


def candidate_pairs(text: str, entities: Sequence[Entity], settings: WindowSettings) -> list[Pair]:
    """Every candidate pair of ``entities`` with its model inputs, attributes in text order."""
    medications = sorted((i for i, e in enumerate(entities) if e.label == "medication"),
                         key=lambda i: (entities[i].start, entities[i].end))
    attributes = [i for i, e in enumerate(entities) if e.label != "medication"]
    if not medications or not attributes:  # no pair possible: skip tokenizing the note
        return []
    note = view(text, entities)
    if not note.tokens:
        return []
    nearest = attach(text, [entities[i] for i in medications], [entities[i] for i in attributes])
    nearest_pairs = {(medications[m], attributes[k]) for k, owners in enumerate(nearest) for m, _ in owners}
    med_ranges = [note.ranges[i] for i in medications]
    pairs = []
    for tail in attributes:
        t0, t1 = note.ranges[tail]
        last = len(note.tokens) - 1
        in_reach = [m for m, (h0, h1) in zip(medications, med_ranges)
                    if _distance(h0, h1, t0, t1) <= settings.max_tokens
                    and abs(note.segment[min(h0, last)] - note.segment[min(t0, last)]) <= settings.max_segments]
        for head in in_reach:
            pairs.append(_pair(note, entities, head, tail, in_reach, medications, (head, tail) in nearest_pairs,
                               settings))
    return pairs


def _distance(h0: int, h1: int, t0: int, t1: int) -> int:
    """Tokens strictly between two token ranges (0 when adjacent or overlapping)."""
    return max(t0 - h1, h0 - t1, 0)


def _pair(note: NoteView, entities: Sequence[Entity], head: int, tail: int, in_reach: list[int],
          medications: list[int], nearest: bool, settings: WindowSettings) -> Pair:
    (h0, h1), (t0, t1) = note.ranges[head], note.ranges[tail]
    n = len(note.tokens)
    lo, hi = max(min(h0, t0) - settings.context, 0), min(max(h1, t1) + settings.context, n)
    clip = settings.max_position

    def relative(i: int, a: int, b: int) -> int:
        offset = i - a if i < a else (i - b + 1 if i >= b else 0)
        return max(-clip, min(clip, offset)) + clip

    breaks = []
    for i in range(lo, hi):
        line = i > 0 and note.line[i] != note.line[i - 1]
        segment = i > 0 and note.segment[i] != note.segment[i - 1]
        breaks.append(int(line) + 2 * int(segment))
    roles = [1 if h0 <= i < h1 else 2 if t0 <= i < t1 else 0 for i in range(lo, hi)]
    a, b = (h1, t0) if h0 < t0 else (t1, h0)
    between = range(a, max(a, b))
    meds_between = sum(1 for m in medications if a <= note.ranges[m][0] < b)
    same_label_between = sum(1 for j, e in enumerate(entities) if j != tail and e.label == entities[tail].label
                             and a <= note.ranges[j][0] < b)
    before = [m for m in in_reach if note.ranges[m][0] < t0]
    after = [m for m in in_reach if note.ranges[m][0] > t0]
    seg_h, seg_t = note.segment[min(h0, n - 1)], note.segment[min(t0, n - 1)]
    line_h, line_t = note.line[min(h0, n - 1)], note.line[min(t0, n - 1)]
    structural = [
        math.log1p(len(between)), float(t0 < h0), math.log1p(meds_between), float(meds_between == 0),
        math.log1p(same_label_between), float(seg_h == seg_t), float(line_h == line_t),
        math.log1p(abs(line_h - line_t)), float(abs(seg_h - seg_t)), float(nearest),
        float(bool(before) and before[-1] == head), float(bool(after) and after[0] == head),
        math.log1p(len(in_reach)), float(any(note.tags[i] != 0 and note.tags[i] != 1 for i in between)),
    ] + [float(entities[tail].label == label) for label in LABELS]
    return Pair(head, tail, [normalize_token(note.tokens[i].text) for i in range(lo, hi)], note.tags[lo:hi], roles,
                [relative(i, h0, h1) for i in range(lo, hi)], [relative(i, t0, t1) for i in range(lo, hi)], breaks,
                structural)
