"""The common training-example form every corpus reader converts to.

Two shapes. A ``Document`` is a text with labelled character spans and links between them (what brat, the i2b2
2009 entries, PhysioNet and the project's JSON give). An ``Example`` is one sentence as tokens with labelled token
spans (what a tagger trains on, and what CoNLL files give directly). ``document_examples`` turns the first into the
second with the project's tokenizer and segmenter, the same way ``sentences`` cuts text at inference time, so a
model never sees sentences shaped differently from the ones it trained on.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ehr_models.evaluation.spans import Span
from ehr_models.text import Token, segments, tokenize

logger = logging.getLogger(__name__)

TokenSpan = tuple[int, int, str]  # (first token, last token + 1, label)
DEFAULT_MAX_TOKENS = 150  # longer segments (MTSamples lost its line breaks) are cut between entities


@dataclass(frozen=True)
class Document:
    """A text with character spans (end exclusive) and ``(head, tail)`` links given as indices into ``spans``."""

    id: str
    text: str
    spans: tuple[Span, ...] = ()
    links: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Example:
    """One sentence: tokens, token spans, and (from a document) each token's character offsets in it."""

    id: str
    tokens: tuple[str, ...]
    spans: tuple[TokenSpan, ...] = ()
    offsets: tuple[tuple[int, int], ...] = ()


def relabel(spans: Iterable[Span], mapping: Mapping[str, str] | None) -> list[Span]:
    """Spans renamed through ``mapping``; labels missing from it are dropped (``None``: keep all as they are)."""
    if mapping is None:
        return list(spans)
    return [(start, end, mapping[label]) for start, end, label in spans if label in mapping]


def flatten(spans: Iterable[TokenSpan]) -> tuple[list[TokenSpan], int]:
    """Non-overlapping spans for a flat tagger: longer first, then earlier; returns ``(kept, dropped count)``."""
    kept: list[TokenSpan] = []
    taken: set[int] = set()
    dropped = 0
    for span in sorted(set(spans), key=lambda s: (s[0] - s[1], s[0], s[2])):
        cells = set(range(span[0], span[1]))
        if cells & taken:
            dropped += 1
            continue
        taken |= cells
        kept.append(span)
    return sorted(kept), dropped


def sentence_starts(text: str, tokens: Sequence[Token]) -> list[int]:
    """Indices of the tokens that begin a sentence-like segment (``ehr_models.text.segments``).

    Tokens between segments (the ";" or "." that ended one) stay with the sentence before them, so no token is lost.
    """
    starts = [0] if tokens else []
    bounds = [start for start, _ in segments(text)][1:]
    b = 0
    for i, token in enumerate(tokens):
        if b < len(bounds) and token.start >= bounds[b]:
            if i:
                starts.append(i)
            while b < len(bounds) and token.start >= bounds[b]:
                b += 1
    return starts


def _cut(begin: int, end: int, max_tokens: int, inside: set[int]) -> list[tuple[int, int]]:
    """Split ``[begin, end)`` into pieces of at most ``max_tokens``, never before a token that continues a span."""
    pieces = []
    while end - begin > max_tokens:
        cut = begin + max_tokens
        while cut > begin + 1 and cut in inside:
            cut -= 1
        pieces.append((begin, cut))
        begin = cut
    pieces.append((begin, end))
    return pieces


def sentences(text: str, tokens: Sequence[Token] | None = None, max_tokens: int = DEFAULT_MAX_TOKENS,
              keep_together: Iterable[TokenSpan] = ()) -> list[tuple[int, int]]:
    """``(first, last + 1)`` token ranges of the sentences of ``text``; no range splits a ``keep_together`` span."""
    tokens = tokenize(text) if tokens is None else tokens
    starts = set(sentence_starts(text, tokens))
    inside = {i for start, end, _ in keep_together for i in range(start + 1, end)}
    starts -= inside
    ordered = sorted(starts) + [len(tokens)]
    ranges = []
    for begin, end in zip(ordered, ordered[1:]):
        ranges.extend(_cut(begin, end, max_tokens, inside))
    return ranges


def token_spans(tokens: Sequence[Token], spans: Iterable[Span], stats: Counter | None = None) -> list[TokenSpan]:
    """Character spans as token spans: every token sharing a character with the span belongs to it.

    A span whose edges fall inside a token grows to the token's edges (counted as ``misaligned`` in ``stats``);
    one that covers no token (whitespace only) is dropped (``empty``).
    """
    starts = [t.start for t in tokens]
    result = []
    for start, end, label in spans:
        first = bisect.bisect_right(starts, start) - 1
        if first < 0 or tokens[first].end <= start:
            first += 1
        last = bisect.bisect_left(starts, end) - 1
        if first > last or first >= len(tokens):
            if stats is not None:
                stats["empty"] += 1
            continue
        if stats is not None and (tokens[first].start != start or tokens[last].end != end):
            stats["misaligned"] += 1
        result.append((first, last + 1, label))
    return result


def document_examples(document: Document, labels: Mapping[str, str] | None = None,
                      max_tokens: int = DEFAULT_MAX_TOKENS, stats: Counter | None = None) -> list[Example]:
    """The sentences of ``document`` as examples, with spans relabelled by ``labels`` and flattened.

    ``stats`` (when given) counts ``spans``, ``misaligned``, ``empty`` and ``overlapping`` (dropped) spans.
    """
    stats = stats if stats is not None else Counter()
    tokens = tokenize(document.text)
    spans = relabel(document.spans, labels)
    stats["spans"] += len(spans)
    flat, dropped = flatten(token_spans(tokens, spans, stats))
    stats["overlapping"] += dropped
    examples = []
    for number, (begin, end) in enumerate(sentences(document.text, tokens, max_tokens, flat)):
        inner = tuple((s - begin, e - begin, label) for s, e, label in flat if begin <= s and e <= end)
        examples.append(Example(f"{document.id}#{number}", tuple(t.text for t in tokens[begin:end]), inner,
                                tuple((t.start, t.end) for t in tokens[begin:end])))
    return examples


def documents_examples(documents: Iterable[Document], labels: Mapping[str, str] | None = None,
                       max_tokens: int = DEFAULT_MAX_TOKENS) -> list[Example]:
    """``document_examples`` over many documents; logs the conversion counts (never text)."""
    stats: Counter = Counter()
    examples = [e for d in documents for e in document_examples(d, labels, max_tokens, stats)]
    logger.info("converted %d sentences: %s", len(examples), dict(stats))
    return examples


def fingerprint(examples: Iterable[Example]) -> str:
    """``sha256:`` of the examples' tokens and spans, in order: equal data, equal fingerprint."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.tokens, example.spans], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


def labels_of(examples: Iterable[Example]) -> list[str]:
    """Sorted labels that occur in ``examples``."""
    return sorted({label for example in examples for _, _, label in example.spans})
