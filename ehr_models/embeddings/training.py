"""gensim Word2Vec / FastText training from a corpus directory, with the vocabulary taken from its counts.

Training reads the sentence shards with gensim's ``corpus_file`` mode: every worker thread reads its own slice of
one file, with no Python and no GIL in the inner loop, so throughput grows with the cores of one machine (threads
update one shared matrix without locks). One machine is the limit: gensim has no distributed training. The shards
are joined into that one local file first (a sequential copy, and a download when the corpus lives on S3/GCS);
the vocabulary comes from the Beam counts, so there is no second pass over the text to count words.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import fsspec
from gensim.models import FastText, KeyedVectors, Word2Vec

from ehr_models.embeddings.corpus import join, read_corpus_manifest, read_counts
from ehr_models.embeddings.vectors import save_vectors

_LOGGER = logging.getLogger(__name__)
ALGORITHMS = ("word2vec", "fasttext")
ARCHITECTURES = ("skipgram", "cbow")


@dataclass(frozen=True)
class TrainingOptions:
    """What to train. ``min_count`` and ``max_vocab`` cap the vocabulary (``max_vocab``: keep the most frequent,
    gensim's ``max_final_vocab``); ``min_n``/``max_n``/``bucket`` are FastText's character n-grams and their
    hash table size (memory and output size: ``bucket`` x ``dimensions`` floats). ``workers`` > 1 makes results
    vary slightly between runs (threads race on updates)."""

    algorithm: str = "fasttext"
    architecture: str = "skipgram"
    dimensions: int = 100
    window: int = 5
    min_count: int = 5
    max_vocab: int | None = None
    epochs: int = 5
    negative: int = 5
    sample: float = 1e-3
    workers: int = max(1, os.cpu_count() or 1)
    seed: int = 1
    min_n: int = 3
    max_n: int = 6
    bucket: int = 200_000  # FastText's own default is 2M: 800 MB at 100 dimensions, sized for billions of tokens
    version: int = 1

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, not {self.algorithm!r}")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, not {self.architecture!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainingOptions":
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def gensim_model(self) -> Word2Vec:
        """An untrained gensim model with these settings (no corpus given, so gensim does no work yet)."""
        common = dict(sg=int(self.architecture == "skipgram"), vector_size=self.dimensions, window=self.window,
                      min_count=self.min_count, max_final_vocab=self.max_vocab, epochs=self.epochs,
                      negative=self.negative, sample=self.sample, workers=self.workers, seed=self.seed)
        if self.algorithm == "fasttext":
            return FastText(min_n=self.min_n, max_n=self.max_n, bucket=self.bucket, **common)
        return Word2Vec(**common)


def local_corpus_file(directory: str, shards: list[str], scratch: str) -> str:
    """One local file holding every shard, as ``corpus_file`` needs. A single local shard is used in place."""
    urls = [join(directory, shard) for shard in shards]
    if len(urls) == 1 and "://" not in urls[0]:
        return urls[0]
    path = os.path.join(scratch, "corpus.txt")
    with open(path, "wb") as out:
        for url in urls:
            with fsspec.open(url, "rb") as shard:
                shutil.copyfileobj(shard, out, 1 << 22)
    return path


def train_vectors(directory: str, options: TrainingOptions, scratch: str | None = None) -> tuple[KeyedVectors, dict]:
    """Train on the corpus directory ``directory``; returns the vectors and a record of the run (options, corpus
    manifest, seconds, words/s). Raises ``ValueError`` when no token reaches ``min_count``."""
    manifest = read_corpus_manifest(directory)
    counts = read_counts([join(directory, name) for name in manifest["counts"]])
    model = options.gensim_model()
    model.build_vocab_from_freq(counts, corpus_count=manifest["sentences"])
    del counts
    if not model.wv.index_to_key:
        raise ValueError(f"no token occurs {options.min_count} times in the corpus; lower min_count")
    model.corpus_total_words = manifest["tokens"]
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        corpus_file = local_corpus_file(directory, manifest["shards"], tmp)
        started = time.perf_counter()
        model.train(corpus_file=corpus_file, total_examples=manifest["sentences"], total_words=manifest["tokens"],
                    epochs=options.epochs)
        seconds = time.perf_counter() - started
    record = {"training": options.to_dict(), "corpus": manifest, "vocabulary": len(model.wv.index_to_key),
              "train_seconds": round(seconds, 3),
              "words_per_second": round(manifest["tokens"] * options.epochs / seconds) if seconds else None}
    _LOGGER.info("trained %s on %d tokens x %d epochs in %.1f s", options.algorithm, manifest["tokens"],
                 options.epochs, seconds)
    return model.wv, record


def train_to_directory(corpus: str, output: str | Path, options: TrainingOptions, dtype: str = "float32") -> dict:
    """Train on ``corpus`` and write a vectors directory to ``output`` (local); returns the training record."""
    vectors, record = train_vectors(corpus, options)
    save_vectors(vectors, output, record, dtype)
    return record
