"""A tagger behind the project's ``Annotator`` seam: text in, ``Annotation`` with character offsets out.

The text is cut exactly as training documents were (``ehr_models.formats.examples.sentences``, over
``ehr_models.text.tokenize``), tagged in batches, and token spans mapped back to character offsets into the text.
The model directory is read on first use (or ``warm_up``): the constructor only stores the settings.
"""

from __future__ import annotations

import logging
from typing import Sequence

from ehr_models.annotation import Annotation, Entity
from ehr_models.formats.examples import DEFAULT_MAX_TOKENS, sentences
from ehr_models.tagging.predictor import Tagger
from ehr_models.text import tokenize

logger = logging.getLogger(__name__)


class TaggerAnnotator:
    """Entities from a tagger package (no relations: a relation model adds those). ``predict`` is pure."""

    def __init__(self, model: str, threads: int | None = None, scores: bool = True,
                 max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        self.model = model
        self.threads = threads
        self.scores = scores
        self.max_tokens = max_tokens
        self._tagger: Tagger | None = None

    @property
    def tagger(self) -> Tagger:
        if self._tagger is None:
            self._tagger = Tagger.load(self.model, threads=self.threads)
        return self._tagger

    @property
    def name(self) -> str:
        return self.tagger.name

    @property
    def version(self) -> str:
        return self.tagger.version

    def warm_up(self) -> None:
        """Load the model now instead of on the first note."""
        _ = self.tagger

    def to_dict(self) -> dict:
        return {"type": "tagger", "model": str(self.model), "threads": self.threads, "scores": self.scores,
                "max_tokens": self.max_tokens}

    @classmethod
    def from_dict(cls, config: dict) -> "TaggerAnnotator":
        return cls(config["model"], config.get("threads"), config.get("scores", True),
                   config.get("max_tokens", DEFAULT_MAX_TOKENS))

    def predict(self, text: str) -> Annotation:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[Annotation]:
        """One annotation per text; all their sentences go through the network together (fuller batches)."""
        pieces: list[tuple[int, list]] = []  # (text number, tokens of one sentence)
        for number, text in enumerate(texts):
            tokens = tokenize(text)
            pieces.extend((number, tokens[a:b]) for a, b in sentences(text, tokens, self.max_tokens))
        words = [[t.text for t in tokens] for _, tokens in pieces]
        tagger = self.tagger
        spans = tagger.predict_scored(words) if self.scores else tagger.predict_batch(words)
        annotations = [Annotation() for _ in texts]
        for (number, tokens), found in zip(pieces, spans):
            for span in found:
                score = span[3] if len(span) > 3 else 1.0
                annotations[number].entities.append(
                    Entity(tokens[span[0]].start, tokens[span[1] - 1].end, span[2], round(float(score), 4)))
        return annotations
