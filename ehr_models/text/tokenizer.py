"""One tokenizer for every stage: rules, pretraining and taggers share it, so their vocabularies agree.

Tokens keep character offsets into the text they came from. Numbers split from units ("40mg" -> "40", "mg")
because dosage models need the number and the unit as separate features; letter-led alphanumerics stay whole
("q6h", "MSO4", "D5W", "B12") because they are single clinical words. Every other non-space character is a token.
"""

from __future__ import annotations

import re
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


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Return the tokens of ``text``; offsets are shifted by ``offset`` (for tokenizing a slice)."""
    return [Token(m.group(), m.start() + offset, m.end() + offset) for m in _TOKEN.finditer(text)]


def segments(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of sentence-like segments covering ``text`` (boundaries are not in any segment)."""
    start = 0
    for match in _BOUNDARY.finditer(text):
        if text[start : match.start()].strip():
            yield start, match.start()
        start = max(start, match.end())
    if text[start:].strip():
        yield start, len(text)
