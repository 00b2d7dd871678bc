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
    index = vocabulary.index
    # One tensor per field from padded Python lists: far fewer tensor constructions than a row at a time.
    batch = {"words": _padded([[index(w) for w in p.words] for p in pairs], width)}
    for name in _SEQUENCES:
        batch[name] = _padded([getattr(p, name) for p in pairs], width)
    batch["structural"] = torch.tensor([p.structural for p in pairs], dtype=torch.float32)
    return batch


def _padded(rows: Sequence[Sequence[int]], width: int) -> torch.Tensor:
    return torch.tensor([list(row) + [0] * (width - len(row)) for row in rows], dtype=torch.long)
