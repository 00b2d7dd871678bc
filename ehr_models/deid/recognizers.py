"""The recognizer interface, the per-note context every recognizer shares, and the registry of recognizer kinds.

A recognizer is anything with ``name``, ``find(note) -> list[PhiSpan]`` and ``to_dict()``. Patterns, gazetteers,
context rules and (later) a learned sequence tagger all plug in the same way: register a factory under a kind
name and list ``{"type": KIND, ...}`` in the engine configuration. ``TaggerRecognizer`` is the seam for a tagger.
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Protocol, runtime_checkable

from ehr_models.deid.phi import DATE, EMAIL, ID, IP, PHONE, SSN, URL, PhiSpan
from ehr_models.text import Token, tokenize

logger = logging.getLogger(__name__)


class Folded:
    """A case-insensitive pattern run as a case-sensitive one on the lower-cased text when the note is ASCII: the
    same matches at the same offsets, three to four times faster (``re.I`` folds every character it compares).
    Only for patterns whose literals are lower case (checked here; others keep the slow path)."""

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        bare = re.sub(r"\\.|A-Z", "", pattern.pattern)  # escapes (\W, \D, \S, \B) and "A-Z" ranges aside
        lower_only = pattern.flags & re.I and not re.search(r"[A-Z]", bare) and "(?-i" not in pattern.pattern
        self.folded = re.compile(pattern.pattern, pattern.flags & ~re.I) if lower_only else None

    def finditer(self, note: "NoteContext"):
        if self.folded is not None and note.ascii:
            return self.folded.finditer(note.lower_text)
        return self.pattern.finditer(note.text)


_DROP_UPPER = str.maketrans("", "", string.ascii_uppercase)
_DROP_LOWER = str.maketrans("", "", string.ascii_lowercase)


@dataclass
class NoteContext:
    """One note as recognizers see it: the text, its tokens (project tokenizer) and what earlier recognizers found.

    ``found`` grows as the engine runs recognizers in order, so context rules can build on structured hits.
    """

    text: str
    found: list[PhiSpan] = field(default_factory=list)

    @cached_property
    def tokens(self) -> list[Token]:
        return tokenize(self.text)

    @cached_property
    def ascii(self) -> bool:
        return self.text.isascii()

    @cached_property
    def lower_text(self) -> str:
        """The text in lower case (same length and offsets when ``ascii``)."""
        return self.text.lower()

    @cached_property
    def lowered(self) -> list[str]:
        return [token.text.lower() for token in self.tokens]

    @cached_property
    def mixed_case(self) -> bool:
        """True when capitals carry information: the note is neither shouted in capitals nor typed all lower."""
        text = self.text
        if text.isascii():  # the same counts as below, at C speed
            no_upper = text.translate(_DROP_UPPER)
            capitals = len(text) - len(no_upper)
            letters = capitals + len(no_upper) - len(no_upper.translate(_DROP_LOWER))
        else:
            alphabetic = [c for c in text if c.isalpha()]
            letters, capitals = len(alphabetic), sum(c.isupper() for c in alphabetic)
        if letters < 20:
            return False
        return 0.05 < capitals / letters < 0.6

    @cached_property
    def line_starts(self) -> frozenset[int]:
        """Token indices that begin a line (after a newline or at the start): a capital there says little."""
        starts, previous_end, text = set(), 0, self.text
        for i, token in enumerate(self.tokens):
            if i == 0 or text.find("\n", previous_end, token.start) >= 0:
                starts.add(i)
            previous_end = token.end
        return frozenset(starts)


STRUCTURED = frozenset({PHONE, EMAIL, URL, IP, SSN, ID, DATE})


@runtime_checkable
class Recognizer(Protocol):
    """Finds PHI candidates in a note. ``find`` is pure: same note in, same spans out; it never logs note text."""

    name: str

    def find(self, note: NoteContext) -> list[PhiSpan]: ...

    def to_dict(self) -> dict: ...


class Configurable:
    """``to_dict``/``from_dict`` for a recognizer whose constructor takes only the options in ``OPTIONS``
    (name -> default), so each recognizer states its options once."""

    name: str
    OPTIONS: dict[str, object] = {}

    def to_dict(self) -> dict:
        return {"type": self.name, **{key: getattr(self, key) for key in self.OPTIONS}}

    @classmethod
    def from_dict(cls, config: dict, **shared: object):
        return cls(**{key: config.get(key, default) for key, default in cls.OPTIONS.items()})


class SpanPredictor(Protocol):
    """What a learned tagger offers: labelled character spans for a text and its tokens."""

    def predict_spans(self, text: str, tokens: list[Token]) -> list[tuple[int, int, str]]: ...


class TaggerRecognizer:
    """Wraps a learned sequence tagger (e.g. the BiLSTM-CRF of ``ehr_models.tagging``) as one more recognizer.

    ``label_map`` maps the tagger's labels to PHI labels ("PTName" -> "NAME"); unmapped labels are dropped.
    The predictor is built by the caller from a model directory; this class only adapts its output.
    """

    def __init__(self, predictor: SpanPredictor, label_map: dict[str, str], name: str = "tagger",
                 model_path: str | None = None) -> None:
        self.predictor = predictor
        self.label_map = label_map
        self.name = name
        self.model_path = model_path

    def find(self, note: NoteContext) -> list[PhiSpan]:
        return self._kept(note, self.predictor.predict_spans(note.text, note.tokens))

    def find_batch(self, notes: list[NoteContext]) -> list[list[PhiSpan]]:
        """``find`` for many notes; one call of the predictor when it offers ``predict_spans_batch``."""
        batch = getattr(self.predictor, "predict_spans_batch", None)
        if batch is None:
            return [self.find(note) for note in notes]
        found = batch([note.text for note in notes], [note.tokens for note in notes])
        return [self._kept(note, spans) for note, spans in zip(notes, found)]

    def _kept(self, note: NoteContext, spans: list[tuple[int, int, str]]) -> list[PhiSpan]:
        """Mapped spans, less those that only add words to an identifier the patterns found: a tagger tends to
        take the label along ("MRN 00482913"); digits it adds (an area code the pattern missed) are kept."""
        exact = {i for s in note.found if s.label in STRUCTURED for i in range(s.start, s.end)}
        return [PhiSpan(start, end, self.label_map[label], self.name) for start, end, label in spans
                if label in self.label_map and not (exact.intersection(range(start, end)) and not any(
                    note.text[i].isdigit() for i in range(start, end) if i not in exact))]

    def to_dict(self) -> dict:
        options = self.predictor.to_dict() if hasattr(self.predictor, "to_dict") else {"model": self.model_path}
        return {"type": "tagger", "name": self.name, "label_map": dict(self.label_map), **options}


# A factory takes the recognizer's config dict plus the engine's shared resources as keywords (``site``,
# ``vocabulary``); it ignores those it does not use.
_FACTORIES: dict[str, Callable[..., Recognizer]] = {}


def register(kind: str, factory: Callable[..., Recognizer]) -> None:
    """Make ``{"type": kind, ...}`` buildable; a tagger package registers its loader here ("tagger")."""
    _FACTORIES[kind] = factory


def available() -> list[str]:
    return sorted(_FACTORIES)


def build_recognizer(config: dict | str, **shared: object) -> Recognizer:
    """Build a recognizer from ``{"type": KIND, ...}`` or ``KIND``; raises ``KeyError`` for an unknown kind."""
    if isinstance(config, str):
        config = {"type": config}
    kind = config.get("type")
    if kind not in _FACTORIES:
        raise KeyError(f"unknown recognizer type {kind!r}; available: {', '.join(available())}")
    return _FACTORIES[kind](config, **shared)
