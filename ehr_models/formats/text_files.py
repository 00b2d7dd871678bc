"""Plain-text note files: which files a directory or glob holds, and the note id each one gets.

The id rule of the output contract: a file's path relative to the input directory (or the fixed prefix of a
glob) without its extension: ``notes/a/123.txt`` under ``notes/`` gives ``a/123``; ``x.txt.gz`` gives ``x``.
"""

from __future__ import annotations

import posixpath

COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
_MAGIC = set("*?[")


def strip_extension(relative_path: str) -> str:
    """``a/123.txt`` -> ``a/123``; ``b/x.txt.gz`` -> ``b/x``; ``notes`` -> ``notes``; dot-files keep their name."""
    head, name = posixpath.split(relative_path)
    for suffix in COMPRESSED_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    stem, dot, _ = name.rpartition(".")
    if dot and stem:
        name = stem
    return posixpath.join(head, name) if head else name


def glob_base(pattern: str) -> str:
    """The directory part of a glob before its first wildcard: ``notes/*/x*.txt`` -> ``notes``."""
    parts = pattern.split("/")
    fixed = []
    for part in parts[:-1]:
        if _MAGIC & set(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def note_id_for(path: str, base: str | None) -> str:
    """The note id of ``path`` listed under ``base`` (``None`` for a single file: its name without extension)."""
    if base:
        base = base.rstrip("/")
        if path.startswith(base + "/"):
            return strip_extension(path[len(base) + 1 :])
    return strip_extension(posixpath.basename(path))


def is_hidden(relative_path: str) -> bool:
    """Hidden files and folders (``.DS_Store``, ``.git/``) are not notes."""
    return any(part.startswith(".") and part not in (".", "..") for part in relative_path.split("/"))
