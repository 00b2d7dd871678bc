"""Stream the members of tar and zip archives as notes, safely: nothing is extracted to disk.

Refused members (each becomes an error, the rest of the archive goes on): absolute paths or ``..`` components,
tar symlinks, hardlinks, devices and FIFOs, members larger than ``max_member_bytes`` once decompressed, and zip
members whose compression ratio exceeds ``max_ratio`` (a zip bomb). A truncated or corrupt archive yields the
members read so far and then one error for the archive.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

from ehr_models.formats.text_files import is_hidden, strip_extension
from ehr_models.records import CorruptInput, NoteError, NoteTooLarge

DEFAULT_MAX_MEMBER_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RATIO = 200.0


class UnsafeMember(NoteError):
    pass


@dataclass(frozen=True)
class ArchiveLimits:
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
    max_ratio: float = DEFAULT_MAX_RATIO


@dataclass(frozen=True)
class Member:
    """A member's note id (``STEM/path-without-extension``), its member path, and bytes or the error it raised."""

    note_id: str
    path: str
    data: bytes | None = None
    error: NoteError | None = None


def _unsafe_path(name: str) -> bool:
    return name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or (
        len(name) > 1 and name[1] == ":")


def _member_bytes(read: Callable[[int], bytes], name: str, limits: ArchiveLimits) -> bytes:
    data = read(limits.max_member_bytes + 1)
    if len(data) > limits.max_member_bytes:
        raise NoteTooLarge(f"archive member exceeds {limits.max_member_bytes} bytes")
    if name.lower().endswith(".gz"):  # a gzipped note inside an archive
        try:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = decompressor.decompress(data, limits.max_member_bytes + 1)
        except zlib.error:
            raise CorruptInput("gzipped archive member is corrupt") from None
        if len(data) > limits.max_member_bytes or decompressor.unconsumed_tail:
            raise NoteTooLarge(f"archive member exceeds {limits.max_member_bytes} bytes once decompressed")
    return data


def _note_id(stem: str, name: str) -> str:
    return f"{stem}/{strip_extension(name.strip('/'))}"


def _decompressed(handle: BinaryIO) -> BinaryIO:
    """The tar stream inside ``handle``: gzip, bzip2 and xz are recognized by their magic bytes. These readers
    raise ``EOFError`` on a truncated stream, which tarfile itself would take for a normal end."""
    head = handle.read(6)
    handle.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=handle)
    if head.startswith(b"BZh"):
        return bz2.BZ2File(handle)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(handle)
    return handle


def iter_tar(handle: BinaryIO, stem: str, limits: ArchiveLimits = ArchiveLimits()) -> Iterator[Member]:
    """Members of a (possibly compressed) tar, read as a stream: memory holds one member at a time."""
    try:
        stream = _decompressed(handle)
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for info in archive:
                archive.members.clear()  # tarfile keeps every header it has read: memory would grow per member
                if info.isdir() or is_hidden(info.name):
                    continue
                note_id = _note_id(stem, info.name)
                if _unsafe_path(info.name):
                    yield Member(note_id, info.name, error=UnsafeMember("member path is absolute or escapes the archive"))
                elif not info.isfile():
                    yield Member(note_id, info.name, error=UnsafeMember("member is a link, device or FIFO"))
                elif info.size > limits.max_member_bytes:
                    yield Member(note_id, info.name, error=NoteTooLarge(
                        f"archive member has {info.size} bytes; limit is {limits.max_member_bytes}"))
                else:
                    extracted = archive.extractfile(info)
                    try:
                        yield Member(note_id, info.name, _member_bytes(extracted.read, info.name, limits))
                    except NoteError as error:
                        yield Member(note_id, info.name, error=error)
        while stream is not handle and stream.read(1 << 20):
            pass  # tarfile stops at the end-of-archive block; a truncated compressed stream only fails here
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as error:
        raise CorruptInput(f"tar archive is truncated or corrupt ({type(error).__name__})") from None


def iter_zip(handle: BinaryIO, stem: str, limits: ArchiveLimits = ArchiveLimits()) -> Iterator[Member]:
    """Members of a zip (needs a seekable file: the directory is at its end)."""
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise CorruptInput(f"zip archive is truncated or corrupt ({type(error).__name__})") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or is_hidden(info.filename):
                continue
            note_id = _note_id(stem, info.filename)
            mode = (info.external_attr >> 16) & 0o170000
            if _unsafe_path(info.filename):
                yield Member(note_id, info.filename, error=UnsafeMember("member path is absolute or escapes the archive"))
            elif mode == 0o120000:
                yield Member(note_id, info.filename, error=UnsafeMember("member is a symbolic link"))
            elif info.file_size > limits.max_member_bytes:
                yield Member(note_id, info.filename, error=NoteTooLarge(
                    f"archive member has {info.file_size} bytes; limit is {limits.max_member_bytes}"))
            elif info.compress_size and info.file_size / info.compress_size > limits.max_ratio:
                yield Member(note_id, info.filename, error=UnsafeMember(
                    f"compression ratio {info.file_size / info.compress_size:.0f}:1 exceeds {limits.max_ratio:.0f}:1"))
            else:
                try:
                    with archive.open(info) as member:
                        yield Member(note_id, info.filename, _member_bytes(member.read, info.filename, limits))
                except NoteError as error:
                    yield Member(note_id, info.filename, error=error)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                    yield Member(note_id, info.filename, error=CorruptInput(
                        f"zip member is corrupt ({type(error).__name__})"))


def iter_archive(handle: BinaryIO, name: str, stem: str, limits: ArchiveLimits = ArchiveLimits()) -> Iterator[Member]:
    reader = iter_zip if name.lower().endswith(".zip") else iter_tar
    return reader(handle, stem, limits)


