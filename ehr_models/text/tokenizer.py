"""One tokenizer for every stage: rules, pretraining and taggers share it, so their vocabularies agree.

Tokens keep character offsets into the text they came from. Numbers split from units ("40mg" -> "40", "mg")
because dosage models need the number and the unit as separate features; letter-led alphanumerics stay whole
("q6h", "MSO4", "D5W", "B12") because they are single clinical words. Every other non-space character is a token.
"""

from __future__ import annotations

import re
import threading
from typing import Iterator, NamedTuple

_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)*"  # numbers, decimals, thousands: 2.5, 1,000
    r"|[^\W\d_]+(?:['’][^\W\d_]+)?(?:\d+[^\W\d_]*)*"  # words, "patient's", "q6h", "mso4"
    r"|\S"  # any other visible character on its own
)

# Where a sentence-like segment ends: a line break, a semicolon, a full stop before a capital or a digit
# ("... daily. Metoprolol"), or an enumeration marker in run-together lists ("..., 2. Lasix", "... 3) ASA").
_BOUNDARY = re.compile(
    r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|[A-Z][A-Za-z /]{1,40}:))"
    r"|;|(?<=[a-z0-9)\]])\.(?=\s+(?:[A-Z]|\d+[.)]\s))"
    r"|(?:^|(?<=[\s,]))\d{1,2}[.)](?=\s+[A-Za-z])"
)


class Token(NamedTuple):
    text: str
    start: int
    end: int


# A note is tokenized by several stages on the same text (the tagger, the rules, the relation view, the notes row):
# the token lists of the most recent notes are kept, up to CACHE_CHARS characters of text in all (about 30 bytes
# of tokens a character: ~15 MB), oldest dropped first. Texts shorter than CACHE_MIN_CHARS (phrases, lexicon
# variants) are not kept. Each call returns a new list; tokens are immutable tuples.
CACHE_CHARS = 500_000
CACHE_MIN_CHARS = 256
_cache: dict[str, list[Token]] = {}
_cached_chars = 0
_cache_lock = threading.Lock()
_new = tuple.__new__  # Token(...) goes through a Python-level __new__; this builds the same Token, faster


def _scan(text: str, offset: int) -> list[Token]:
    if offset:
        return [_new(Token, (m.group(), m.start() + offset, m.end() + offset)) for m in _TOKEN.finditer(text)]
    return [_new(Token, (m.group(), m.start(), m.end())) for m in _TOKEN.finditer(text)]


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Return the tokens of ``text``; offsets are shifted by ``offset`` (for tokenizing a slice)."""
    global _cached_chars
    if offset or len(text) < CACHE_MIN_CHARS:
        return _scan(text, offset)
    cached = _cache.get(text)
    if cached is not None:
        return list(cached)
    tokens = _scan(text, 0)
    if len(text) <= CACHE_CHARS:
        with _cache_lock:
            if text not in _cache:
                _cache[text] = tokens
                _cached_chars += len(text)
                while _cached_chars > CACHE_CHARS:
                    oldest = next(iter(_cache))
                    del _cache[oldest]
                    _cached_chars -= len(oldest)
    return list(tokens)


def segments(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of sentence-like segments covering ``text`` (boundaries are not in any segment)."""
    start = 0
    for match in _BOUNDARY.finditer(text):
        if text[start : match.start()].strip():
            yield start, match.start()
        start = max(start, match.end())
    if text[start:].strip():
        yield start, len(text)
