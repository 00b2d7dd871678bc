"""Training a tagger: vocabularies from the data (and the pretrained vectors), then epochs of Adam with early
stopping on dev F1, checkpoints and a progress bar.

``build_tagger`` makes an untrained ``Tagger``; ``fit`` trains it in place and leaves the best dev epoch's weights
in it. Randomness (initialisation, dropout, batch order, word dropout) comes from ``TrainingConfig.seed`` alone.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from ehr_models.evaluation.spans import Scores, score_entities
from ehr_models.formats.examples import Example, labels_of
from ehr_models.tagging.batching import buckets
from ehr_models.tagging.model import TaggerConfig
from ehr_models.tagging.predictor import Tagger
from ehr_models.tagging.pretrained import embedding_matrix, vector_words
from ehr_models.tagging.progress import Progress
from ehr_models.tagging.scheme import encode, tag_set
from ehr_models.tagging.vocab import Vocabulary
from ehr_models.text import normalize_token

logger = logging.getLogger(__name__)


@dataclass
class TrainingConfig:
    epochs: int = 50
    patience: int = 5  # epochs without a better dev F1 before stopping
    batch_size: int = 32
    learning_rate: float = 1e-3
    lr_decay: float = 0.05  # epoch e trains at learning_rate / (1 + lr_decay * (e - 1)) (NCRF++'s schedule)
    clip: float = 5.0  # gradient norm
    word_dropout: float = 0.2  # known words replaced by <unk> so the <unk> row learns what unseen words look like
    seed: int = 13
    threads: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainingResult:
    best_f1: float = 0.0
    best_epoch: int = 0
    epochs: int = 0
    seconds: float = 0.0
    history: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def seed_everything(seed: int) -> random.Random:
    """Seed torch, numpy and Python's ``random``; returns a private RNG for batch order and word dropout."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    return random.Random(seed)


def build_tagger(train: Sequence[Example], config: TaggerConfig, vectors=None, labels: Sequence[str] = (),
                 min_count: int = 1, max_pretrained_words: int = 200_000, name: str = "tagger",
                 version: str = "0", seed: int = 13) -> Tagger:
    """An untrained tagger whose vocabularies cover ``train`` (words seen ``min_count`` times) and the pretrained
    words (the most frequent ``max_pretrained_words``), so words unseen in training still get their vectors."""
    seed_everything(seed)
    config = TaggerConfig.from_dict(config.to_dict())  # a copy: the word size below must not leak to the caller
    counts = Counter(normalize_token(token) for example in train for token in example.tokens)
    extra = vector_words(vectors, max_pretrained_words) if vectors is not None else ()
    words = Vocabulary.from_counts(counts, min_count, extra)
    chars = Vocabulary.from_counts(Counter(c for example in train for token in example.tokens for c in token))
    tags = tag_set(sorted(set(labels) | set(labels_of(train))), config.scheme)
    if vectors is not None:
        config.word_dim = vectors.vector_size
    tagger = Tagger.build(config, words, chars, tags, name=name, version=version)
    if vectors is not None:
        tagger.model.words.weight.data.copy_(torch.from_numpy(embedding_matrix(vectors, words.items, seed)))
    logger.info("tagger: %d words, %d characters, %d tags", len(words), len(chars), len(tags))
    return tagger


def score_examples(tagger: Tagger, examples: Sequence[Example]) -> Scores:
    """Exact token-span scores of the tagger's predictions against the examples' spans, per label."""
    predicted = tagger.predict_batch([e.tokens for e in examples])
    return score_entities((list(p), list(e.spans)) for p, e in zip(predicted, examples))


def _tag_ids(tagger: Tagger, examples: Sequence[Example]) -> list[list[int]]:
    index = {tag: i for i, tag in enumerate(tagger.tags)}
    scheme = tagger.config.scheme
    return [[index[t] for t in encode(len(e.tokens), e.spans, scheme)] for e in examples]


class Checkpoints:
    """``best/``: a full package of the best dev epoch; ``last/``: the latest epoch plus optimizer and loop state."""

    def __init__(self, directory: Path | str | None, training: dict) -> None:
        self.directory = Path(directory) if directory else None
        self.training = training

    def save_best(self, tagger: Tagger, metrics: dict) -> None:
        if self.directory:
            tagger.save(self.directory / "best", self.training, metrics)

    def save_last(self, tagger: Tagger, optimizer: torch.optim.Optimizer, result: TrainingResult,
                  rng: random.Random) -> None:
        if not self.directory:
            return
        last = tagger.save(self.directory / "last", self.training, {})
        torch.save(optimizer.state_dict(), last / "optimizer.pt")
        state = {"result": result.to_dict(), "rng": rng.getstate()}
        (last / "state.json").write_text(json.dumps(state), encoding="utf-8")

    def best_state(self) -> dict[str, torch.Tensor] | None:
        best = self.directory / "best" if self.directory else None
        return Tagger.load(best).model.state_dict() if best and best.exists() else None

    def resume(self, tagger: Tagger, optimizer: torch.optim.Optimizer, rng: random.Random) -> TrainingResult | None:
        """Restore the last epoch's weights, optimizer and loop state (``None`` when there is nothing to resume)."""
        last = self.directory / "last" if self.directory else None
        if last is None or not (last / "state.json").exists():
            return None
        restored = Tagger.load(last)
        tagger.model.load_state_dict(restored.model.state_dict())
        optimizer.load_state_dict(torch.load(last / "optimizer.pt", weights_only=True))
        state = json.loads((last / "state.json").read_text(encoding="utf-8"))
        version, internal, gauss = state["rng"]
        rng.setstate((version, tuple(internal), gauss))
        result = TrainingResult(**state["result"])
        logger.info("resumed after epoch %d (best dev F1 %.4f)", result.epochs, result.best_f1)
        return result


def fit(tagger: Tagger, train: Sequence[Example], dev: Sequence[Example] = (),
        config: TrainingConfig | None = None, checkpoints: Checkpoints | None = None,
        progress: Progress | None = None, resume: bool = False,
        on_epoch: Callable[[dict], None] | None = None) -> TrainingResult:
    """Train ``tagger`` in place; with ``dev``, keep the weights of the best dev F1 and stop after ``patience``
    epochs without improvement; without it, train ``epochs`` epochs and keep the last."""
    config = config or TrainingConfig()
    checkpoints = checkpoints or Checkpoints(None, {})
    rng = seed_everything(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    model = tagger.model
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    result = (checkpoints.resume(tagger, optimizer, rng) if resume else None) or TrainingResult()
    tokens = [e.tokens for e in train]
    tags = _tag_ids(tagger, train)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if result.epochs:
        best_state = checkpoints.best_state() or best_state
    started = time.perf_counter() - result.seconds
    for epoch in range(result.epochs + 1, config.epochs + 1):
        model.train()
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate / (1 + config.lr_decay * (epoch - 1))
        batches = buckets([len(t) for t in tokens], config.batch_size, rng=rng)
        if progress:
            progress.start_epoch(epoch, len(batches))
        total = 0.0
        for index in batches:
            batch = tagger.encoder.batch(tokens, index, tags, config.word_dropout, rng)
            optimizer.zero_grad()
            loss = model.loss(batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            total += loss.item()
            if progress:
                progress.step(loss.item())
        record = {"epoch": epoch, "loss": round(total / max(len(batches), 1), 4),
                  "seconds": round(time.perf_counter() - started, 1)}
        improved = not dev
        if dev:
            record["dev"] = score_examples(tagger, dev).micro.to_dict()
            improved = record["dev"]["f1"] > result.best_f1 or not result.best_epoch
        if improved:
            result.best_f1, result.best_epoch = record.get("dev", {}).get("f1", 0.0), epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            checkpoints.save_best(tagger, {"dev": record.get("dev"), "epoch": epoch})
        result.history.append(record)
        result.epochs, result.seconds = epoch, time.perf_counter() - started
        checkpoints.save_last(tagger, optimizer, result, rng)
        if progress:
            progress.end_epoch(record.get("dev", {}).get("f1"), result.best_f1 if dev else None,
                               result.best_epoch if dev else None)
        if on_epoch:
            on_epoch(record)
        if dev and epoch - result.best_epoch >= config.patience:
            logger.info("early stop after epoch %d: best dev F1 %.4f at epoch %d", epoch, result.best_f1,
                        result.best_epoch)
            break
    model.load_state_dict(best_state)
    model.eval()
    result.seconds = round(time.perf_counter() - started, 1)
    return result
