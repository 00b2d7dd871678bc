"""Tag schemes: token spans <-> BIO or BIOES tag sequences, and which tag may follow which.

A token span is ``(start, end, label)`` with token indices, end exclusive. Decoding is lenient the way conlleval
is: an ``I-X`` that does not continue an ``X`` span starts one, so a softmax head's invalid sequences still give
spans. The CRF never produces them: ``allowed_transitions`` forbids them in its transition matrix.
"""

from __future__ import annotations

from typing import Iterable, Sequence

TokenSpan = tuple[int, int, str]
SCHEMES = ("BIO", "BIOES")
OUTSIDE = "O"


def tag_set(labels: Iterable[str], scheme: str = "BIOES") -> list[str]:
    """All tags for ``labels``: ``O`` first, then per label ``B``, ``I`` (and ``E``, ``S``), labels sorted."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown tag scheme {scheme!r}; use one of {SCHEMES}")
    prefixes = "BI" if scheme == "BIO" else "BIES"
    return [OUTSIDE] + [f"{prefix}-{label}" for label in sorted(set(labels)) for prefix in prefixes]


def encode(length: int, spans: Iterable[TokenSpan], scheme: str = "BIOES") -> list[str]:
    """Tags for a sentence of ``length`` tokens; raises ``ValueError`` on overlapping or out-of-range spans."""
    tags = [OUTSIDE] * length
    for start, end, label in sorted(spans):
        if not 0 <= start < end <= length:
            raise ValueError(f"span {start}:{end} outside a sentence of {length} tokens")
        if any(tag != OUTSIDE for tag in tags[start:end]):
            raise ValueError(f"span {start}:{end} overlaps another span")
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"S-{label}"
            continue
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
        if scheme == "BIOES":
            tags[end - 1] = f"E-{label}"
    return tags


def _split(tag: str) -> tuple[str, str]:
    if tag == OUTSIDE or "-" not in tag:
        return OUTSIDE, ""
    prefix, label = tag.split("-", 1)
    return prefix, label


def decode(tags: Sequence[str]) -> list[TokenSpan]:
    """Spans of a BIO or BIOES tag sequence (lenient: a stray ``I-``/``E-`` starts or continues a span)."""
    spans: list[TokenSpan] = []
    start, current = -1, ""
    for i, tag in enumerate(tags):
        prefix, label = _split(tag)
        continues = current == label and prefix in ("I", "E")
        if start >= 0 and not continues:
            spans.append((start, i, current))
            start, current = -1, ""
        if prefix == OUTSIDE:
            continue
        if start < 0:
            start, current = i, label
        if prefix in ("E", "S"):
            spans.append((start, i + 1, current))
            start, current = -1, ""
    if start >= 0:
        spans.append((start, len(tags), current))
    return spans


def allowed_transitions(tags: Sequence[str]) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """``(allowed[i][j]: tag j may follow tag i, may start, may end)`` for BIO or BIOES tag lists."""
    bioes = any(_split(tag)[0] in ("E", "S") for tag in tags)
    parts = [_split(tag) for tag in tags]

    def follows(previous: tuple[str, str], current: tuple[str, str]) -> bool:
        (p_prefix, p_label), (c_prefix, c_label) = previous, current
        if c_prefix in ("I", "E"):
            return p_prefix in ("B", "I") and p_label == c_label
        # O, B or S may only follow a closed span in BIOES; in BIO anything may be closed implicitly.
        return not (bioes and p_prefix in ("B", "I"))

    allowed = [[follows(p, c) for c in parts] for p in parts]
    start = [prefix not in ("I", "E") for prefix, _ in parts]
    end = [not (bioes and prefix in ("B", "I")) for prefix, _ in parts]
    return allowed, start, end
