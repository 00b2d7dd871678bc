"""Vocabularies: item <-> index, with padding at 0 and unknown at 1, stored as a plain list."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

PAD, UNK = "<pad>", "<unk>"


class Vocabulary:
    """An ordered item list; ``index`` maps unknown items to ``UNK``. Built once, never mutated."""

    def __init__(self, items: Iterable[str]) -> None:
        items = list(items)
        if items[:2] != [PAD, UNK]:
            items = [PAD, UNK] + [item for item in items if item not in (PAD, UNK)]
        self.items = items
        self._index = {item: i for i, item in enumerate(items)}
        if len(self._index) != len(items):
            raise ValueError("vocabulary items are not unique")

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: str) -> bool:
        return item in self._index

    def index(self, item: str) -> int:
        return self._index.get(item, 1)

    def extended(self, items: Iterable[str]) -> "Vocabulary":
        """A new vocabulary: these items, then every new item of ``items`` in order."""
        return Vocabulary(self.items + [item for item in dict.fromkeys(items) if item not in self._index])

    @classmethod
    def from_counts(cls, counts: Counter, min_count: int = 1, extra: Iterable[str] = ()) -> "Vocabulary":
        """Items seen ``min_count`` times or more (most frequent first), then ``extra`` items not yet in."""
        frequent = [item for item, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n >= min_count]
        return cls(frequent).extended(extra)
