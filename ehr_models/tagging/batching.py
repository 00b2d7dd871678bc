"""Token lists -> padded id tensors, and length buckets that keep padding (wasted work) small.

Words are looked up by ``normalize_token`` (the normalization the embeddings were trained with); characters keep
their case, so the character CNN sees what normalization removed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from ehr_models.tagging.vocab import Vocabulary
from ehr_models.text import normalize_token


@dataclass
class Batch:
    words: torch.Tensor  # (batch, length) word ids, 0 = padding
    chars: torch.Tensor  # (distinct tokens + 1, width) character ids; row 0 is the padding token
    char_index: torch.Tensor  # (batch, length) row of ``chars`` for each position
    lengths: torch.Tensor  # (batch,) int64 on CPU
    mask: torch.Tensor  # (batch, length) bool
    tags: torch.Tensor | None  # (batch, length) tag ids (0 on padding), training only
    index: list[int]  # position of each row in the caller's list
    features: torch.Tensor | None = None  # (batch, length, features) ids of ``Encoder.features`` (0 on padding)


class Encoder:
    """Maps tokens to word and character ids. Caches each token's ids: clinical text repeats its words."""

    def __init__(self, words: Vocabulary, chars: Vocabulary, max_word_chars: int = 20,
                 features: Sequence[Callable[[Sequence[str]], list[int]]] = (), cache_size: int = 200_000) -> None:
        self.words = words
        self.chars = chars
        self.max_word_chars = max_word_chars
        self.features = list(features)
        self.cache_size = cache_size
        self._cache: dict[str, tuple[int, tuple[int, ...]]] = {}

    def _ids(self, token: str) -> tuple[int, tuple[int, ...]]:
        found = self._cache.get(token)
        if found is None:
            text = token
            if len(text) > self.max_word_chars:
                half = self.max_word_chars // 2
                text = text[:half] + text[-(self.max_word_chars - half):]
            found = (self.words.index(normalize_token(token)), tuple(self.chars.index(c) for c in text) or (1,))
            if len(self._cache) < self.cache_size:
                self._cache[token] = found
        return found

    def batch(self, sentences: Sequence[Sequence[str]], index: list[int],
              tags: Sequence[Sequence[int]] | None = None, word_dropout: float = 0.0,
              rng: random.Random | None = None) -> Batch:
        """Tensors for ``sentences[i] for i in index``. ``word_dropout`` replaces word ids by UNK (training).

        Characters are encoded once per distinct token of the batch (the character CNN runs on those rows only:
        a batch of clinical text repeats "mg", "the", "." hundreds of times), and ``char_index`` points back.
        """
        length = max(len(sentences[i]) for i in index)
        distinct: dict[str, int] = {}
        char_rows: list[tuple[int, ...]] = [()]
        word_ids, char_index = [], []
        for i in index:
            words, positions = [], []
            for token in sentences[i]:
                word, chars = self._ids(token)
                row = distinct.get(token)
                if row is None:
                    row = distinct[token] = len(char_rows)
                    char_rows.append(chars)
                words.append(word)
                positions.append(row)
            padding = [0] * (length - len(words))
            word_ids.append(words + padding)
            char_index.append(positions + padding)
        if word_dropout and rng is not None:
            word_ids = [[1 if w > 1 and rng.random() < word_dropout else w for w in row] for row in word_ids]
        width = max(len(row) for row in char_rows)
        chars = np.zeros((len(char_rows), width), dtype=np.int64)
        for r, row in enumerate(char_rows):
            chars[r, : len(row)] = row
        lengths = torch.tensor([len(sentences[i]) for i in index], dtype=torch.long)
        mask = torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)
        tag_tensor = None
        if tags is not None:
            tag_tensor = torch.tensor([list(tags[i]) + [0] * (length - len(tags[i])) for i in index],
                                      dtype=torch.long)
        features = None
        if self.features:
            features = torch.tensor([[list(ids) + [0] * (length - len(ids)) for ids in
                                      (feature(sentences[i]) for feature in self.features)] for i in index],
                                    dtype=torch.long).transpose(1, 2)
        return Batch(torch.tensor(word_ids, dtype=torch.long), torch.from_numpy(chars),
                     torch.tensor(char_index, dtype=torch.long), lengths, mask, tag_tensor, list(index), features)


def buckets(lengths: Sequence[int], max_sentences: int, max_tokens: int | None = None,
            rng: random.Random | None = None) -> list[list[int]]:
    """Index lists of sentences of similar length, at most ``max_sentences`` (and ``max_tokens`` padded tokens).

    With ``rng`` (training) lengths are jittered before sorting and the batches shuffled, so batches differ from
    epoch to epoch while padding stays small. Empty sentences are left out.
    """
    order = [i for i in range(len(lengths)) if lengths[i] > 0]
    jitter = (lambda i: lengths[i] + rng.random() * 2) if rng is not None else (lambda i: lengths[i])
    order.sort(key=jitter)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        # Sorted ascending, so this sentence is the longest of its batch: padded size = count * its length.
        if current and (len(current) >= max_sentences or
                        (max_tokens is not None and (len(current) + 1) * lengths[i] > max_tokens)):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    if rng is not None:
        rng.shuffle(batches)
    return batches
