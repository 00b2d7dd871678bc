"""Which reader a path needs, from its name (``--input_format`` overrides it)."""

from __future__ import annotations

import posixpath

FORMATS = ("text", "archive", "csv", "mimic", "jsonl", "parquet", "physionet")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")


def detect_format(path: str) -> str:
    """``text`` unless the name says otherwise: archives, ``.csv(.gz)``, ``.jsonl``/``.ndjson(.gz)``, ``.parquet``,
    PhysioNet ``*.text``. ``mimic`` is never guessed from a name: the CSV reader recognizes NOTEEVENTS headers."""
    name = posixpath.basename(path).lower()
    if name.endswith(_ARCHIVE_SUFFIXES):
        return "archive"
    for suffix in (".gz", ".bz2", ".xz", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".text"):
        return "physionet"
    return "text"


def archive_stem(name: str) -> str:
    """``notes.tar.gz`` -> ``notes``; ``a/b.zip`` -> ``a/b``."""
    lowered = name.lower()
    for suffix in sorted(_ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name
