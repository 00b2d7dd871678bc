"""A trained tagger: token lists in, labelled token spans out, in length-bucketed batches under inference mode.

``Tagger`` wraps the network with its vocabularies and tag list, and converts to and from a model package
(``ehr_models.package``). It is the ``predict(tokens) -> spans`` seam; ``annotator.TaggerAnnotator`` puts text
and character offsets around it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Sequence

import torch

from ehr_models.package import ModelPackage, load_package, new_config, save_package
from ehr_models.tagging.batching import Batch, Encoder, buckets
from ehr_models.tagging.features import build_features
from ehr_models.tagging.model import BiLSTMTagger, TaggerConfig
from ehr_models.tagging.scheme import TokenSpan, decode
from ehr_models.tagging.vocab import Vocabulary

logger = logging.getLogger(__name__)
ScoredSpan = tuple[int, int, str, float]  # (first token, last token + 1, label, mean tag probability)


class Tagger:
    """Network + vocabularies + tags. ``threads`` (when set) is applied to torch before each prediction call."""

    def __init__(self, model: BiLSTMTagger, words: Vocabulary, chars: Vocabulary, name: str = "tagger",
                 version: str = "0", threads: int | None = None, batch_tokens: int = 8192,
                 batch_sentences: int = 512) -> None:
        self.model = model
        self.words = words
        self.chars = chars
        self.name = name
        self.version = version
        self.threads = threads
        self.batch_tokens = batch_tokens
        self.batch_sentences = batch_sentences
        self.encoder = Encoder(words, chars, model.config.max_word_chars, build_features(model.config.features))

    @property
    def config(self) -> TaggerConfig:
        return self.model.config

    @property
    def tags(self) -> list[str]:
        return self.model.tags

    @property
    def labels(self) -> list[str]:
        return sorted({tag.split("-", 1)[1] for tag in self.tags if "-" in tag})

    @classmethod
    def build(cls, config: TaggerConfig, words: Vocabulary, chars: Vocabulary, tags: list[str],
              **options) -> "Tagger":
        """A new, untrained tagger."""
        return cls(BiLSTMTagger(config, len(words), len(chars), tags), words, chars, **options)

    @classmethod
    def from_package(cls, package: ModelPackage, threads: int | None = None, **options) -> "Tagger":
        config = TaggerConfig.from_dict(package.config["model"])
        tagger = cls.build(config, Vocabulary(package.vocabularies["words"]),
                           Vocabulary(package.vocabularies["chars"]), package.labels["tags"], name=package.name,
                           version=package.version, threads=threads, **options)
        tagger.model.load_state_dict(package.tensors)
        tagger.model.eval()
        return tagger

    @classmethod
    def load(cls, directory: Path | str, threads: int | None = None, **options) -> "Tagger":
        return cls.from_package(load_package(directory), threads=threads, **options)

    def to_package(self, training: dict | None = None, metrics: dict | None = None) -> ModelPackage:
        config = new_config("tagger", self.name, self.version, self.config.to_dict())
        return ModelPackage(config, dict(self.model.state_dict()),
                            {"words": self.words.items, "chars": self.chars.items},
                            {"scheme": self.config.scheme, "labels": self.labels, "tags": self.tags},
                            training or {}, metrics or {})

    def save(self, directory: Path | str, training: dict | None = None, metrics: dict | None = None) -> Path:
        return save_package(directory, self.to_package(training, metrics))

    def predict(self, tokens: Sequence[str]) -> list[TokenSpan]:
        """Labelled spans ``(first, last + 1, label)`` of one sentence."""
        return self.predict_batch([tokens])[0]

    def predict_batch(self, sentences: Sequence[Sequence[str]]) -> list[list[TokenSpan]]:
        """Spans of every sentence, in the order given (empty sentences give no spans)."""
        return [[span[:3] for span in spans] for spans in self._run(sentences, scores=False)]

    def predict_scored(self, sentences: Sequence[Sequence[str]]) -> list[list[ScoredSpan]]:
        """Like ``predict_batch``, each span with the mean probability of its tags (CRF marginals or softmax)."""
        return self._run(sentences, scores=True)

    def encoded_batches(self, sentences: Sequence[Sequence[str]]) -> Iterator[tuple[list[int], Batch]]:
        """``(sentence indices, encoded batch)`` per length bucket, with the configured thread count, the network in
        eval mode and torch in inference mode while the caller works on each batch."""
        if self.threads and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for index in buckets([len(s) for s in sentences], self.batch_sentences, self.batch_tokens):
                    yield index, self.encoder.batch(sentences, index)
        finally:
            self.model.train(was_training)

    def _run(self, sentences: Sequence[Sequence[str]], scores: bool) -> list[list[ScoredSpan]]:
        results: list[list[ScoredSpan]] = [[] for _ in sentences]
        for index, batch in self.encoded_batches(sentences):
            paths, probabilities = self.model.decode(batch, scores)
            for row, path in enumerate(paths):
                spans = decode([self.tags[t] for t in path])
                if probabilities is None:
                    results[index[row]] = [(s, e, label, 1.0) for s, e, label in spans]
                else:
                    p = probabilities[row]
                    results[index[row]] = [(s, e, label, sum(p[s:e]) / (e - s)) for s, e, label in spans]
        return results
