"""Candidate pairs to padded tensors for ``RelationNet``."""

from __future__ import annotations

from typing import Sequence

import torch

from ehr_models.relations.candidates import Pair
from ehr_models.tagging.vocab import Vocabulary

_SEQUENCES = ("tags", "roles", "head_positions", "tail_positions", "breaks")


def collate(pairs: Sequence[Pair], vocabulary: Vocabulary) -> dict[str, torch.Tensor]:
    """A batch dict: ``words`` and the per-token sequences padded with 0 to the longest window, ``structural``."""
    width = max(len(p.words) for p in pairs)
    batch = {"words": torch.zeros(len(pairs), width, dtype=torch.long)}
    for name in _SEQUENCES:
        batch[name] = torch.zeros(len(pairs), width, dtype=torch.long)
    for row, pair in enumerate(pairs):
        n = len(pair.words)
        batch["words"][row, :n] = torch.tensor([vocabulary.index(w) for w in pair.words])
        for name in _SEQUENCES:
            batch[name][row, :n] = torch.tensor(getattr(pair, name))
    batch["structural"] = torch.tensor([p.structural for p in pairs], dtype=torch.float32)
    return batch
