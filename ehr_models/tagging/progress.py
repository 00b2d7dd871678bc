"""A training progress bar on stderr: batches of the epoch, running loss, and the last and best dev F1.

On a terminal the line redraws in place; in a log (not a TTY) it prints one line per epoch, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, epochs: int, stream: TextIO | None = None, enabled: bool = True, width: int = 24) -> None:
        self.epochs = epochs
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.width = width
        self.interactive = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.epoch = 0
        self.batches = 0
        self.done = 0
        self.loss = 0.0
        self.started = time.perf_counter()
        self.last_draw = 0.0

    def start_epoch(self, epoch: int, batches: int) -> None:
        self.epoch, self.batches, self.done, self.loss = epoch, batches, 0, 0.0
        self.started = time.perf_counter()

    def step(self, loss: float) -> None:
        self.done += 1
        self.loss += (loss - self.loss) / self.done  # running mean over the epoch
        now = time.perf_counter()
        if self.interactive and (now - self.last_draw > 0.2 or self.done == self.batches):
            self.last_draw = now
            self._write("\r" + self._line(), end="")

    def end_epoch(self, dev_f1: float | None, best_f1: float | None, best_epoch: int | None) -> None:
        if not self.enabled:
            return
        dev = "" if dev_f1 is None else f" | dev F1 {dev_f1:.4f} (best {best_f1:.4f} @ {best_epoch})"
        self._write(("\r" if self.interactive else "") + self._line() + dev)

    def _line(self) -> str:
        filled = int(self.width * self.done / max(self.batches, 1))
        bar = "=" * filled + (">" if filled < self.width else "") + " " * max(self.width - filled - 1, 0)
        seconds = time.perf_counter() - self.started
        return (f"epoch {self.epoch}/{self.epochs} [{bar}] {self.done}/{self.batches} "
                f"loss {self.loss:.3f} {seconds:.0f}s")

    def _write(self, text: str, end: str = "\n") -> None:
        self.stream.write(text + end)
        self.stream.flush()
