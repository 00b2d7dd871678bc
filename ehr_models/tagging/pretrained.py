"""Pretrained word vectors for a tagger's embedding layer.

A directory written by the pretraining stage is read with ``ehr_models.embeddings.vectors`` (``load_vectors`` and
``embedding_matrix``) when that module is installed; a single gensim file is read directly: ``.kv``/``.model``
(gensim's own format), ``.bin`` (word2vec binary) or anything else as word2vec text. The words must have been
normalized with ``ehr_models.text.normalize_token``, as the tagger looks them up that way.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)


def _embeddings_module():
    try:
        return importlib.import_module("ehr_models.embeddings.vectors")
    except ImportError:
        return None


def load_vectors(path: Path | str):
    """gensim ``KeyedVectors`` from a pretraining directory or a vectors file."""
    path = Path(path)
    module = _embeddings_module()
    if path.is_dir():
        if module is None:
            raise FileNotFoundError(f"{path} is a directory but ehr_models.embeddings is not available to read it")
        return module.load_vectors(path)
    from gensim.models import KeyedVectors, Word2Vec

    if path.suffix == ".model":
        return Word2Vec.load(str(path)).wv
    if path.suffix == ".kv":
        return KeyedVectors.load(str(path))
    return KeyedVectors.load_word2vec_format(str(path), binary=path.suffix == ".bin")


def vector_words(vectors, limit: int | None = None) -> list[str]:
    """The vectors' words, most frequent first (gensim keeps them in that order), at most ``limit``."""
    words = list(vectors.index_to_key)
    return words[:limit] if limit else words


def embedding_matrix(vectors, vocabulary: Sequence[str], seed: int = 0) -> np.ndarray:
    """Rows aligned with ``vocabulary``: a word's vector, small random values for words without one, zeros at 0.

    Delegates to ``ehr_models.embeddings.vectors.embedding_matrix`` when installed, then zeroes the padding row.
    """
    module = _embeddings_module()
    if module is not None and hasattr(module, "embedding_matrix"):
        matrix = np.array(module.embedding_matrix(vectors, list(vocabulary)), dtype=np.float32)
    else:
        rng = np.random.default_rng(seed)
        scale = float(np.std(vectors.vectors)) or 0.1
        matrix = rng.normal(0.0, scale, (len(vocabulary), vectors.vector_size)).astype(np.float32)
        found = [(i, word) for i, word in enumerate(vocabulary) if word in vectors.key_to_index]
        if found:
            rows, words = zip(*found)
            matrix[list(rows)] = vectors[list(words)]
        logger.info("pretrained vectors cover %d of %d vocabulary words", len(found), len(vocabulary))
    matrix[0] = 0.0
    return matrix
