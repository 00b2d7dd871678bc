"""Progress while a run goes: workers drop their counts in small files, the launcher sums and logs them.

Beam metrics reach the launcher only when a run ends on most runners, so each worker (each DoFn instance) rewrites
``STAGING/progress/UUID.txt`` with its count at most every ``interval_s`` seconds, through Beam's filesystems
(the output location every worker can already write). The launcher's ``ProgressMonitor`` thread sums the files and
logs notes/s and, when the number of input notes is known, an ETA, at INFO level. Counts only: no ids, no text.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from apache_beam.io.filesystems import FileSystems

_LOGGER = logging.getLogger(__name__)
PROGRESS_DIR = "progress"


class ProgressFile:
    """One worker's count of done notes, rewritten at most every ``interval_s`` seconds (and on ``flush``)."""

    def __init__(self, staging: str, interval_s: float = 5.0) -> None:
        self.staging = staging
        self.interval_s = interval_s
        self._path = FileSystems.join(staging, PROGRESS_DIR, f"{uuid.uuid4().hex}.txt")
        self._count = 0
        self._written: float | None = None  # never written yet: the first add writes at once

    def add(self, count: int = 1) -> None:
        self._count += count
        # monotonic() starts near 0 at boot, so "never written" cannot be spelled as a time of 0.0
        if self._written is None or time.monotonic() - self._written >= self.interval_s:
            self.flush()

    def flush(self) -> None:
        self._written = time.monotonic()
        try:
            with FileSystems.create(self._path) as handle:
                handle.write(str(self._count).encode())
        except Exception as error:  # progress is best effort: never fail a run over it
            _LOGGER.debug("progress not written: %s", type(error).__name__)


def done_count(staging: str) -> int:
    """Notes done so far, summed over every worker's progress file."""
    total = 0
    pattern = FileSystems.join(staging, PROGRESS_DIR, "*.txt")
    for result in FileSystems.match([pattern]):
        for metadata in result.metadata_list:
            try:
                with FileSystems.open(metadata.path) as handle:
                    total += int(handle.read().decode() or 0)
            except (OSError, ValueError):
                continue  # a file being rewritten: counted next time
    return total


def format_progress(done: int, elapsed_s: float, expected: int | None) -> str:
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    line = f"progress: {done} notes in {elapsed_s:.0f} s ({rate:.1f} notes/s)"
    if expected:
        line += f", {min(100.0, 100.0 * done / expected):.0f}% of {expected}"
        if rate > 0 and done < expected:
            line += f", ETA {(expected - done) / rate:.0f} s"
    return line


class ProgressMonitor(threading.Thread):
    """Logs ``format_progress`` every ``interval_s`` seconds until ``stop``; a daemon thread on the launcher."""

    def __init__(self, staging: str, expected: int | None = None, interval_s: float = 15.0) -> None:
        super().__init__(name="ehrbeam-progress", daemon=True)
        self.staging = staging
        self.expected = expected
        self.interval_s = interval_s
        self._stop_event = threading.Event()
        self._began = time.monotonic()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            _LOGGER.info(format_progress(done_count(self.staging), time.monotonic() - self._began, self.expected))

    def stop(self) -> None:
        self._stop_event.set()
