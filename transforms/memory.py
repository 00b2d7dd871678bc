"""Hand freed heap memory back to the operating system every few hundred notes, so a worker's RSS stays flat.

Measured (BENCHMARKS.md, issue 8, session 3): one process running the worker's per-note work (de-identification,
then the medication annotator) grew from 566 to 674 MB over 3,072 notes (and 596 -> 781 MB over 5,120 in another
run) although the number of Python objects stayed flat: glibc keeps the memory that torch's varying tensor shapes
fragment. ``malloc_trim(0)`` after every 64 notes kept it at 467 -> 493 MB. Fixing glibc's mmap threshold instead
(``MALLOC_MMAP_THRESHOLD_``) also bounded it but cost 45% more CPU a note (a page fault storm on every batch).

Outputs do not change; where there is no glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

TRIM_EVERY_NOTES = 512  # ~1% of the CPU of those notes at most; RSS grows by a few MB between trims

_lock = threading.Lock()
_since_trim = 0
_trim = None


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # no glibc
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def notes_done(count: int) -> bool:
    """Count ``count`` notes processed in this process; trim the heap once ``TRIM_EVERY_NOTES`` have passed since
    the last trim. Returns whether it trimmed. Thread-safe (an SDK worker may run bundles in threads)."""
    global _since_trim, _trim
    with _lock:
        _since_trim += count
        if _since_trim < TRIM_EVERY_NOTES:
            return False
        _since_trim = 0
        if _trim is None:
            _trim = _malloc_trim() or False
        trim = _trim
    if trim:
        trim(0)
        return True
    return False
