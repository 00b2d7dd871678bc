"""Token features beyond words and characters, by name: a model package lists the names it was trained with and
loading rebuilds them, so inference computes exactly what training did.

``drug_lexicon``: whether a token begins (B), continues (I) or lies outside (O) a match of the rules baseline's drug
lexicon (``ehr_models.rules.lexicon``: the DrugBank-derived dictionary of ``drug-named-entity-recognition`` plus
clinical shorthand), longest match first. It tells the network about drug names it never saw in training; the
lexicon (about 1 s to build, in a short-lived child process) is read on first use.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from ehr_models.text import Token

logger = logging.getLogger(__name__)


class DrugLexiconFeature:
    name = "drug_lexicon"
    values = ("<pad>", "O", "B", "I")  # id 0 is padding

    def __init__(self, lexicon=None) -> None:
        self.lexicon = lexicon

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        """One id per token: 1 outside a lexicon match, 2 at its first token, 3 inside it."""
        if self.lexicon is None:
            from ehr_models.rules.lexicon import DrugLexicon

            self.lexicon = DrugLexicon()
        # The lexicon matches on token texts; offsets only need to be consistent, so tokens sit one space apart.
        spaced, start = [], 0
        for text in tokens:
            spaced.append(Token(text, start, start + len(text)))
            start += len(text) + 1
        index = {token.start: i for i, token in enumerate(spaced)}
        ids = [1] * len(tokens)
        for match in self.lexicon.match(spaced):
            first = index[match.start]
            ids[first] = 2
            i = first + 1
            while i < len(spaced) and spaced[i].end <= match.end:
                ids[i] = 3
                i += 1
        return ids


FEATURES: dict[str, type] = {DrugLexiconFeature.name: DrugLexiconFeature}


def feature_sizes(names: Sequence[str]) -> list[int]:
    """How many ids each named feature uses (for its embedding table); raises ``KeyError`` for an unknown name."""
    return [len(FEATURES[name].values) for name in names]


def build_features(names: Sequence[str]) -> list[Callable[[Sequence[str]], list[int]]]:
    return [FEATURES[name]() for name in names]
