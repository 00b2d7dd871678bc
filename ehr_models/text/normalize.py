"""The one token normalization shared by embedding pretraining and every tagger (vocabularies must agree).

Lower-case, every digit to ``0`` ("40mg" tokens "40", "mg" -> "00", "mg"; "q6h" -> "q0h"), so that doses and
times share vectors; nothing else changes. Bump ``NORMALIZATION_VERSION`` on any change: model packages and
embedding manifests record it, and loading checks it.
"""

from __future__ import annotations

import re

NORMALIZATION_VERSION = "1"
_DIGIT = re.compile(r"\d")


def normalize_token(token: str) -> str:
    return _DIGIT.sub("0", token.lower())
