"""Token features beyond words and characters, by name: a model package lists the names it was trained with and
loading rebuilds them, so inference computes exactly what training did.

``drug_lexicon``: whether a token begins (B), continues (I) or lies outside (O) a match of the rules baseline's drug
lexicon (``ehr_models.rules.lexicon``: the DrugBank-derived dictionary of ``drug-named-entity-recognition`` plus
clinical shorthand), longest match first. It tells the network about drug names it never saw in training; the
lexicon (about 1 s to build, in a short-lived child process) is read on first use.

``rule_labels``: the rules baseline's own entities on the sentence (``ehr_models.rules.RuleAnnotator``), as B/I per
label. The network learns where to trust the rules (their frequency and duration patterns were better than a
tagger trained on 175 notes) and where to overrule them, instead of a fixed per-label choice.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from ehr_models.annotation import LABELS
from ehr_models.text import Token

logger = logging.getLogger(__name__)


def spaced_tokens(tokens: Sequence[str]) -> tuple[str, list[Token]]:
    """The tokens one space apart, as a text and as tokens with offsets into it (features see token texts only)."""
    spaced, start = [], 0
    for text in tokens:
        spaced.append(Token(text, start, start + len(text)))
        start += len(text) + 1
    return " ".join(tokens), spaced


def span_ids(spaced: Sequence[Token], spans, first_id, inside_id) -> list[int]:
    """Per token: ``first_id(span)`` at a span's first token, ``inside_id(span)`` inside it, else 1 (outside);
    ``spans`` are objects with ``start``/``end`` offsets into the spaced text; a later span overwrites an earlier."""
    index = {token.start: i for i, token in enumerate(spaced)}
    ids = [1] * len(spaced)
    for span in spans:
        first = index.get(span.start)
        if first is None:  # a rules span starting inside a token: no token to mark
            continue
        ids[first] = first_id(span)
        i = first + 1
        while i < len(spaced) and spaced[i].end <= span.end:
            ids[i] = inside_id(span)
            i += 1
    return ids


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
        _, spaced = spaced_tokens(tokens)
        return span_ids(spaced, self.lexicon.match(spaced), lambda _: 2, lambda _: 3)


class RuleLabelsFeature:
    name = "rule_labels"
    values = ("<pad>", "O") + tuple(f"{prefix}-{label}" for label in LABELS for prefix in "BI")
    _ids = {value: i for i, value in enumerate(values)}

    def __init__(self, rules=None) -> None:
        self.rules = rules

    def __call__(self, tokens: Sequence[str]) -> list[int]:
        """One id per token: 1 outside the rules' entities, else B-/I- of the entity's label."""
        if self.rules is None:
            from ehr_models.rules import RuleAnnotator

            self.rules = RuleAnnotator()
        text, spaced = spaced_tokens(tokens)
        found = self.rules.predict(text).entities
        return span_ids(spaced, found, lambda e: self._ids[f"B-{e.label}"], lambda e: self._ids[f"I-{e.label}"])


FEATURES: dict[str, type] = {DrugLexiconFeature.name: DrugLexiconFeature, RuleLabelsFeature.name: RuleLabelsFeature}


def feature_sizes(names: Sequence[str]) -> list[int]:
    """How many ids each named feature uses (for its embedding table); raises ``KeyError`` for an unknown name."""
    return [len(FEATURES[name].values) for name in names]


def build_features(names: Sequence[str]) -> list[Callable[[Sequence[str]], list[int]]]:
    return [FEATURES[name]() for name in names]
