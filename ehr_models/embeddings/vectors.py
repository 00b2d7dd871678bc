"""The vectors directory: how pretrained embeddings are stored, loaded, and turned into a tagger's matrix.

A vectors directory holds three files, none of them pickled (loading never runs code from the file):

- ``manifest.json``: format, kind (``word2vec`` or ``fasttext``), vector size, vocabulary size, the normalization
  version of the tokens, the subword settings (``min_n``, ``max_n``, ``bucket``) and the training/corpus record;
- ``vocab.tsv``: one ``token<TAB>count`` a line, in row order (tokens never contain whitespace: the tokenizer
  splits on it);
- ``vectors.safetensors``: ``vectors`` (one row per vocabulary token) and, for FastText, ``vectors_ngrams`` (the
  hashed character n-gram buckets that give out-of-vocabulary words a vector).

Tokens are ``ehr_models.text.normalize_token`` forms; ``load_vectors`` refuses a directory written under another
``NORMALIZATION_VERSION``, because a tagger whose tokens are normalized differently would silently miss every row.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Collection

import numpy as np
from gensim.models import KeyedVectors
from gensim.models.fasttext import FastTextKeyedVectors
from safetensors.numpy import load_file, save_file

from ehr_models.text.normalize import NORMALIZATION_VERSION

_LOGGER = logging.getLogger(__name__)
FORMAT = "ehrbeam-vectors"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VOCAB = "vocab.tsv"
WEIGHTS = "vectors.safetensors"
DTYPES = {"float32": np.float32, "float16": np.float16}


def save_vectors(vectors: KeyedVectors, directory: str | Path, record: dict | None = None,
                 dtype: str = "float32") -> Path:
    """Write ``vectors`` (plain or FastText) as a vectors directory; returns the directory.

    ``record`` (training options, corpus manifest...) is stored under ``"record"`` in the manifest. ``dtype``
    ``float16`` halves the size (the shipped embeddings use it); loading always gives float32.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    store = DTYPES[dtype]
    tensors = {"vectors": np.ascontiguousarray(vectors.vectors, dtype=store)}
    subwords = isinstance(vectors, FastTextKeyedVectors) and vectors.bucket > 0
    if subwords:
        tensors["vectors_ngrams"] = np.ascontiguousarray(vectors.vectors_ngrams, dtype=store)
    save_file(tensors, str(directory / WEIGHTS))
    with open(directory / VOCAB, "w", encoding="utf-8", newline="\n") as handle:
        for word in vectors.index_to_key:
            handle.write(f"{word}\t{_count(vectors, word)}\n")
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "kind": "fasttext" if subwords else "word2vec",
        "vector_size": int(vectors.vector_size), "vocab_size": len(vectors.index_to_key), "dtype": dtype,
        "normalization_version": NORMALIZATION_VERSION,
        "min_n": int(vectors.min_n) if subwords else None, "max_n": int(vectors.max_n) if subwords else None,
        "bucket": int(vectors.bucket) if subwords else 0,
        "record": record or {},
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return directory


def _count(vectors: KeyedVectors, word: str) -> int:
    try:
        return int(vectors.get_vecattr(word, "count"))
    except KeyError:  # vectors built without counts (a test fixture, an imported model)
        return 0


def read_manifest(directory: str | Path) -> dict:
    """The manifest of a vectors directory; raises ``ValueError`` for a directory that is not one."""
    path = Path(directory) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} is not an {FORMAT} v{FORMAT_VERSION} manifest")
    return manifest


def load_vectors(directory: str | Path) -> KeyedVectors:
    """Load a vectors directory as gensim ``KeyedVectors`` (float32). FastText directories come back as
    ``FastTextKeyedVectors``, whose ``get_vector`` builds vectors for unseen words from character n-grams.

    Raises ``ValueError`` when the tokens were normalized under another ``NORMALIZATION_VERSION``."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest["normalization_version"] != NORMALIZATION_VERSION:
        raise ValueError(f"{directory}: vectors use token normalization v{manifest['normalization_version']}, "
                         f"this ehrbeam uses v{NORMALIZATION_VERSION}; rebuild them")
    tensors = load_file(str(directory / WEIGHTS))
    words, counts = [], []
    with open(directory / VOCAB, encoding="utf-8", newline="\n") as handle:
        for line in handle:
            word, count = line.rstrip("\n").split("\t")
            words.append(word)
            counts.append(int(count))
    matrix = tensors["vectors"].astype(np.float32)
    if len(words) != matrix.shape[0]:
        raise ValueError(f"{directory}: {len(words)} vocabulary lines for {matrix.shape[0]} vectors")
    ngrams = tensors["vectors_ngrams"].astype(np.float32) if manifest["kind"] == "fasttext" else None
    return make_vectors(words, matrix, counts, ngrams, manifest["min_n"], manifest["max_n"])


def make_vectors(words: list[str], matrix: np.ndarray, counts: list[int], ngrams: np.ndarray | None = None,
                 min_n: int | None = None, max_n: int | None = None) -> KeyedVectors:
    """KeyedVectors with rows ``matrix`` for ``words`` (and their counts); with ``ngrams`` (a FastText n-gram
    bucket matrix and its ``min_n``/``max_n``), ``FastTextKeyedVectors`` that also cover unseen words."""
    if ngrams is None:
        vectors = KeyedVectors(matrix.shape[1])
    else:
        vectors = FastTextKeyedVectors(matrix.shape[1], min_n, max_n, ngrams.shape[0])
        vectors.vectors_ngrams = ngrams
    vectors.index_to_key = list(words)
    vectors.key_to_index = {word: i for i, word in enumerate(words)}
    vectors.vectors = matrix
    vectors.allocate_vecattrs(["count"], [np.int64])  # what get_vecattr(word, "count") reads
    vectors.expandos["count"][:] = counts
    if ngrams is not None:
        # The stored rows are the composed word vectors; ``vectors_vocab`` (the whole-word part) only matters to
        # further training, which starts from a full model instead.
        vectors.vectors_vocab = matrix
        vectors.recalc_char_ngram_buckets()
    return vectors


def has_subwords(vectors: KeyedVectors) -> bool:
    """Whether ``vectors`` can build a vector for a word it never saw (FastText with n-gram buckets)."""
    return isinstance(vectors, FastTextKeyedVectors) and vectors.bucket > 0 and vectors.vectors_ngrams is not None


def embedding_matrix(vectors: KeyedVectors, vocabulary: list[str], seed: int = 0, oov_scale: float = 0.1,
                     zero: Collection[str] = ()) -> np.ndarray:
    """A float32 matrix whose row ``i`` is the vector of ``vocabulary[i]``.

    ``vocabulary`` holds normalized tokens (``ehr_models.text.normalize_token``). Words the vectors do not know get
    their FastText subword vector when ``vectors`` has n-grams, else a small random row: normal with standard
    deviation ``oov_scale`` times that of the pretrained entries, from a generator seeded with ``seed`` (the same
    vocabulary gives the same matrix). Words in ``zero`` (a padding token, say) get a row of zeros.
    """
    size = vectors.vector_size
    known = vectors.vectors
    spread = float(known.std()) if known.size else 1.0
    rows = np.random.default_rng(seed).normal(0.0, oov_scale * spread, (len(vocabulary), size)).astype(np.float32)
    subwords = has_subwords(vectors)
    zero = frozenset(zero)
    found = from_subwords = 0
    for i, word in enumerate(vocabulary):
        if word in zero:
            rows[i] = 0.0
        elif word in vectors.key_to_index:
            rows[i] = vectors.get_vector(word)
            found += 1
        elif subwords:
            rows[i] = vectors.get_vector(word)
            from_subwords += 1
    _LOGGER.info("embedding matrix: %d rows, %d pretrained, %d from subwords, %d random", len(vocabulary), found,
                 from_subwords, len(vocabulary) - found - from_subwords - len(zero.intersection(vocabulary)))
    return rows
