"""Bytes to note text, with a recorded decision and offsets that never shift.

Policy: strict UTF-8 first. Bytes that are not UTF-8 and contain no valid multi-byte UTF-8 sequence are a legacy
single-byte file: decoded as cp1252 (latin-1 for the five bytes cp1252 leaves undefined), one character per byte.
Anything else is mostly UTF-8 with damage: decoded as UTF-8 with one U+FFFD per undecodable byte, so a bad
byte never moves the offsets of the text after it. NUL bytes mean a binary file and are refused.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from ehr_models.records import BinaryContent

_MULTIBYTE_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _one_per_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    # Python's "replace" collapses a truncated multi-byte sequence into one U+FFFD; one per byte keeps
    # "a note decoded as UTF-8, bad bytes replaced" aligned with byte-level tools that count them.
    return "\ufffd", error.start + 1


def _latin1_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90, 0x9D undefined; latin-1 maps them to the C1 control characters.
    return chr(error.object[error.start]), error.start + 1


codecs.register_error("ehrbeam-replace-per-byte", _one_per_byte)
codecs.register_error("ehrbeam-latin1-byte", _latin1_byte)


def decode_note(data: bytes, binary_probe: int = 8192) -> tuple[str, str]:
    """Return ``(text, encoding)``; raises ``BinaryContent`` for binary data (NUL bytes in the first block)."""
    if b"\x00" in data[:binary_probe]:
        raise BinaryContent("binary content (NUL bytes); not a text note")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if not _MULTIBYTE_UTF8.search(data):
        return data.decode("cp1252", errors="ehrbeam-latin1-byte"), "cp1252"
    return data.decode("utf-8", errors="ehrbeam-replace-per-byte"), "utf-8+replace"


def decode_stream_encoding(handle: BinaryIO, probe_bytes: int = 1 << 20) -> str:
    """The encoding policy of ``decode_note`` decided once for a large stream (a CSV) from its first MiB:
    ``utf-8`` or ``cp1252``. Rewinds ``handle``, which must be seekable (local, fsspec and gzip files are)."""
    head = handle.read(probe_bytes)
    handle.seek(0)
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # the probe cut a multi-byte character in half
            return "utf-8"
    return "cp1252" if not _MULTIBYTE_UTF8.search(head) else "utf-8"
