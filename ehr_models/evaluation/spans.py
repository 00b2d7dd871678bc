"""Precision, recall and F1 for labelled spans and for medication->attribute relations.

Exact matching needs the same label and the same offsets; overlap matching needs the same label and any shared
character, each gold span matched at most once (greedy, in text order), as in the i2b2 2009 inexact metric.
A relation matches when its head and tail spans both match (under the same rule) and the tail label agrees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

Span = tuple[int, int, str]  # (start, end, label)
Link = tuple[Span, Span]  # (medication span, attribute span)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class Scores:
    by_label: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))

    @property
    def micro(self) -> Counts:
        total = Counts()
        for counts in self.by_label.values():
            total.tp, total.fp, total.fn = total.tp + counts.tp, total.fp + counts.fp, total.fn + counts.fn
        return total

    def to_dict(self) -> dict:
        return {"micro": self.micro.to_dict(), **{label: c.to_dict() for label, c in sorted(self.by_label.items())}}


def match_spans(predicted: list[Span], gold: list[Span], overlap: bool) -> dict[int, int]:
    """Map predicted index -> gold index for matched pairs."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    if not overlap:
        where = {span: i for i, span in enumerate(gold)}
        for i, span in enumerate(predicted):
            j = where.get(span)
            if j is not None and j not in used:
                pairs[i] = j
                used.add(j)
        return pairs
    for i, (start, end, label) in sorted(enumerate(predicted), key=lambda item: item[1]):
        for j, (g_start, g_end, g_label) in enumerate(gold):
            if j not in used and g_label == label and start < g_end and g_start < end:
                pairs[i] = j
                used.add(j)
                break
    return pairs


def score_entities(documents: Iterable[tuple[list[Span], list[Span]]], overlap: bool = False) -> Scores:
    """Score ``(predicted, gold)`` span lists, one pair per document."""
    scores = Scores()
    for predicted, gold in documents:
        pairs = match_spans(predicted, gold, overlap)
        for i, span in enumerate(predicted):
            counts = scores.by_label[span[2]]
            if i in pairs:
                counts.tp += 1
            else:
                counts.fp += 1
        matched_gold = set(pairs.values())
        for j, span in enumerate(gold):
            if j not in matched_gold:
                scores.by_label[span[2]].fn += 1
    return scores


def score_relations(documents: Iterable[tuple[list[Link], list[Link]]], overlap: bool = False) -> Scores:
    """Score ``(predicted links, gold links)`` per document; labels are the attribute labels."""
    scores = Scores()
    for predicted, gold in documents:
        predicted_spans = sorted({span for link in predicted for span in link})
        gold_spans = sorted({span for link in gold for span in link})
        pairs = match_spans(predicted_spans, gold_spans, overlap)
        to_gold = {predicted_spans[i]: gold_spans[j] for i, j in pairs.items()}
        gold_set = set(gold)
        hit: set[Link] = set()
        for head, tail in set(predicted):
            mapped = (to_gold.get(head), to_gold.get(tail))
            counts = scores.by_label[tail[2]]
            if None not in mapped and mapped in gold_set and mapped not in hit:
                counts.tp += 1
                hit.add(mapped)
            else:
                counts.fp += 1
        for link in gold_set - hit:
            scores.by_label[link[1][2]].fn += 1
    return scores
