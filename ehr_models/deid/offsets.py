"""Offset map from a de-identified text back to its original: downstream spans are written in ORIGINAL offsets."""

from __future__ import annotations

import bisect
from dataclasses import dataclass


@dataclass(frozen=True)
class OffsetMap:
    """The replaced segments, in order: ``(new_start, new_end, old_start, old_end)``.

    Outside a replacement, text is copied, so an offset moves by the length change of the replacements before it.
    A span that starts or ends inside a replacement is widened to the whole original PHI span.
    """

    segments: tuple[tuple[int, int, int, int], ...] = ()

    def _locate(self, offset: int) -> int:
        """Index of the last segment starting at or before ``offset`` (-1 if none)."""
        return bisect.bisect_right([segment[0] for segment in self.segments], offset) - 1

    def start_to_original(self, offset: int) -> int:
        i = self._locate(offset)
        if i < 0:
            return offset
        new_start, new_end, old_start, old_end = self.segments[i]
        if offset < new_end:
            return old_start
        return old_end + (offset - new_end)

    def end_to_original(self, offset: int) -> int:
        i = self._locate(offset - 1) if offset > 0 else -1
        if i < 0:
            return offset
        new_start, new_end, old_start, old_end = self.segments[i]
        if offset <= new_end:
            return old_end
        return old_end + (offset - new_end)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the de-identified text to the original text."""
        return self.start_to_original(start), max(self.start_to_original(start), self.end_to_original(end))

    def _from_original(self, offset: int, is_end: bool) -> int:
        # Last segment ending at or before the offset, and last one starting before it: if the latter is later,
        # the offset lies inside that replaced span and snaps to the replacement's edge.
        i = bisect.bisect_right([segment[3] for segment in self.segments], offset) - 1
        j = bisect.bisect_right([segment[2] for segment in self.segments], offset - 1 if is_end else offset) - 1
        if j > i:
            return self.segments[j][1] if is_end else self.segments[j][0]
        if i < 0:
            return offset
        return self.segments[i][1] + (offset - self.segments[i][3])

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the original text into the de-identified text; a span touching a
        replaced span is widened to that replacement (the de-identified text never holds the original there)."""
        return self._from_original(start, False), self._from_original(end, True)

    def to_dict(self) -> dict:
        return {"segments": [list(segment) for segment in self.segments]}

    @classmethod
    def from_dict(cls, data: dict) -> "OffsetMap":
        return cls(tuple(tuple(segment) for segment in data.get("segments", ())))
