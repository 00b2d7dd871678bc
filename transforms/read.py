"""ReadNotes: any supported note source -> ``Note`` records, with every input accounted for.

Stages: expand the input spec into files (``ListFiles``), split the files that allow it (Parquet by row group,
JSON Lines by byte range), spread the pieces over workers, then read each piece with the reader its format needs.
Note text is never shuffled: reading fuses with annotation, so memory stays bounded on every runner.

Duplicate note ids: within one file (archive, CSV, JSONL, Parquet, PhysioNet) the first occurrence is read and
later ones are skipped with a ``DuplicateNoteId`` error. Across files both copies are read and each extra copy is
reported as ``DuplicateNoteId`` (stage ``read``), found from the note ids alone.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Iterator

import apache_beam as beam
import fsspec

from ehr_models.formats.archives import ArchiveLimits, iter_archive
from ehr_models.formats.detect import FORMATS, archive_stem, detect_format
from ehr_models.formats.physionet import iter_records
from ehr_models.formats.tables import MIMIC_COLUMNS, ColumnMap, SkippedRow, iter_csv, iter_jsonl, iter_parquet
from ehr_models.formats.text_files import glob_base, is_hidden, note_id_for
from ehr_models.records import (CorruptInput, EmptyNote, Note, NoteError, NoteTooLarge, error_type, safe_message)
from ehr_models.text.decoding import decode_note
from transforms import schemas

_LOGGER = logging.getLogger(__name__)
ERRORS_TAG = "errors"
NOTE_ROWS_TAG = "note_rows"
DEFAULT_MAX_NOTE_CHARS = 2_000_000
JSONL_SPLIT_BYTES = 64 * 1024 * 1024
_TSV = re.compile(r"\.tsv(?:\.\w+)?$")


class DuplicateNoteId(NoteError):
    pass


class InputNotFound(NoteError):
    pass


def error_row(run_id: str, stage: str, error: BaseException, note_id: str | None, source: str) -> dict:
    return schemas.row(schemas.ERRORS, note_id=note_id, source=source, stage=stage,
                       error_type=error_type(error), message=safe_message(error), run_id=run_id)


def note_row(run_id: str, note_id: str, source: str, status: str, characters: int | None = None,
             tokens: int | None = None, encoding: str | None = None, meta: dict | None = None) -> dict:
    return schemas.row(schemas.NOTES, note_id=note_id, source=source, status=status, characters=characters,
                       tokens=tokens, encoding=encoding, run_id=run_id, **(meta or {}))


@dataclass(frozen=True)
class ReadConfig:
    """How to read: format (``None``: from each file's name), table columns, size limits."""

    input_format: str | None = None
    columns: ColumnMap | None = None  # None: MIMIC map for NOTEEVENTS headers, else ColumnMap()
    max_note_chars: int = DEFAULT_MAX_NOTE_CHARS
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    # Finding ids repeated across files groups every note id once: memory grows with the note count on
    # DirectRunner (about 0.4 KB per note), a shuffle elsewhere. Off when ids are known to be unique.
    cross_file_duplicates: bool = True

    def __post_init__(self) -> None:
        if self.input_format is not None and self.input_format not in FORMATS:
            raise ValueError(f"unknown input format {self.input_format!r}; one of {', '.join(FORMATS)}")


@dataclass(frozen=True)
class Piece:
    """A unit of reading: a file (or a part of one) in one format. ``name`` is the id base: the note id for a
    text file, the archive's id prefix for an archive."""

    url: str
    name: str
    format: str
    row_groups: tuple[int, ...] | None = None
    byte_range: tuple[int, int] | None = None

    @property
    def source(self) -> str:
        if self.row_groups is not None:
            return f"{self.url}#row_groups={','.join(map(str, self.row_groups))}"
        if self.byte_range is not None:
            return f"{self.url}#bytes={self.byte_range[0]}-{self.byte_range[1]}"
        return self.url


class ListFiles(beam.DoFn):
    """An input spec (directory, glob or file; any fsspec URL) -> one ``Piece`` per file."""

    def __init__(self, run_id: str, config: ReadConfig) -> None:
        self.run_id = run_id
        self.config = config

    def process(self, spec: str) -> Iterator:
        try:
            fs, path = fsspec.core.url_to_fs(spec)
            protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
            prefix = "" if protocol in ("file", "local") else f"{protocol}://"
            if fs.isdir(path):
                base, paths = path, fs.find(path)
            elif any(ch in path for ch in "*?["):
                base, paths = glob_base(path), [p for p in fs.glob(path) if not fs.isdir(p)]
            elif fs.exists(path):
                base, paths = None, [path]
            else:
                raise InputNotFound("input not found")
        except Exception as error:  # a bad spec is recorded, never raised: a run over many inputs goes on
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "read", error, None, spec))
            return
        for found in sorted(paths):
            relative = found[len(base.rstrip("/")) + 1 :] if base else found.rsplit("/", 1)[-1]
            if is_hidden(relative):
                continue
            fmt = self.config.input_format or detect_format(found)
            name = note_id_for(found, base)
            if fmt == "archive":
                name = archive_stem(relative)
            yield Piece(prefix + found, name, fmt)


class SplitPieces(beam.DoFn):
    """Parquet files -> one piece per row group; JSON Lines -> byte ranges; others unchanged."""

    def __init__(self, run_id: str, jsonl_split_bytes: int = JSONL_SPLIT_BYTES) -> None:
        self.run_id = run_id
        self.jsonl_split_bytes = jsonl_split_bytes

    def process(self, piece: Piece) -> Iterator:
        try:
            if piece.format == "parquet":
                import pyarrow.parquet as pq

                with fsspec.open(piece.url, "rb") as handle:
                    groups = pq.ParquetFile(handle).num_row_groups
                for group in range(groups):
                    yield replace(piece, row_groups=(group,))
                return
            if piece.format == "jsonl" and not piece.url.endswith((".gz", ".bz2", ".xz", ".zst")):
                fs, path = fsspec.core.url_to_fs(piece.url)
                size = fs.size(path)
                for start in range(0, max(size, 1), self.jsonl_split_bytes):
                    yield replace(piece, byte_range=(start, min(start + self.jsonl_split_bytes, size)))
                return
        except Exception as error:
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "read", _as_corrupt(error), None,
                                                                 piece.url))
            return
        yield piece


def _as_corrupt(error: BaseException) -> BaseException:
    if isinstance(error, NoteError):
        return error
    if isinstance(error, (EOFError, OSError, ValueError)) or type(error).__module__.startswith(("zlib", "gzip",
                                                                                                "pyarrow")):
        return CorruptInput(f"input is truncated, corrupt or unreadable ({type(error).__name__})")
    return error


def _jsonl_lines(handle, byte_range: tuple[int, int] | None) -> Iterator[bytes]:
    """Lines whose first byte lies in ``byte_range``: a line straddling the range's start belongs to the range
    before it, so ranges cut anywhere read every line exactly once."""
    if byte_range is None:
        yield from handle
        return
    start, end = byte_range
    position = start
    if start > 0:
        handle.seek(start - 1)
        position = start - 1 + len(handle.readline())  # the rest of the line the previous range owns
    while position < end:
        line = handle.readline()
        if not line:
            return
        yield line
        position += len(line)


class ReadPieces(beam.DoFn):
    """``Piece`` -> ``Note`` records (main output), error rows, and ``notes`` rows for notes that failed or were
    skipped. One piece is read as a stream: memory holds one note (or one Parquet batch) at a time."""

    def __init__(self, run_id: str, config: ReadConfig) -> None:
        self.run_id = run_id
        self.config = config

    def process(self, piece: Piece) -> Iterator:
        seen: set[str] = set()
        try:
            for note_id, source, payload, meta, encoding, error in self._records(piece):
                if note_id is not None and error is None:
                    if note_id in seen:
                        error = DuplicateNoteId("note id repeats within this input; the first copy was read")
                    seen.add(note_id)
                if error is None:
                    try:
                        yield self._note(note_id, source, payload, meta, encoding)
                        continue
                    except NoteError as note_error:
                        error = note_error
                yield from self._failed(note_id, source, error)
        except Exception as error:  # the piece itself broke (truncated archive, unreadable file)
            error = _as_corrupt(error)
            _LOGGER.warning("input %s failed: %s", piece.source, error_type(error))
            note_id = piece.name if piece.format == "text" else None
            yield from self._failed(note_id, piece.source, error)

    def _failed(self, note_id: str | None, source: str, error: NoteError) -> Iterator:
        yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "read", error, note_id, source))
        if note_id is not None:
            skipped = isinstance(error, (EmptyNote, SkippedRow, DuplicateNoteId))
            yield beam.pvalue.TaggedOutput(NOTE_ROWS_TAG, note_row(self.run_id, note_id, source,
                                                                   "skipped" if skipped else "error"))

    def _note(self, note_id: str, source: str, payload: bytes | str, meta: dict, encoding: str | None) -> Note:
        if isinstance(payload, bytes):
            text, encoding = decode_note(payload)
        else:
            text = payload
        if not text.strip():
            raise EmptyNote("empty note")
        if len(text) > self.config.max_note_chars:
            raise NoteTooLarge(f"note has {len(text)} characters; limit is {self.config.max_note_chars}")
        return Note(note_id=note_id, text=text, source=source, encoding=encoding or "utf-8", meta=meta)

    def _records(self, piece: Piece) -> Iterator[tuple]:
        """``(note_id, source, bytes-or-str, meta, encoding, error)`` for each note in the piece."""
        fmt, columns = piece.format, self.config.columns
        if fmt == "text":
            with fsspec.open(piece.url, "rb", compression="infer") as handle:
                yield piece.name, piece.url, handle.read(), {}, None, None
        elif fmt == "archive":
            with fsspec.open(piece.url, "rb") as handle:
                for member in iter_archive(handle, piece.url, piece.name, self.config.archive_limits):
                    yield member.note_id, f"{piece.url}!/{member.path}", member.data, {}, None, member.error
        elif fmt in ("csv", "mimic"):
            columns = MIMIC_COLUMNS if fmt == "mimic" and columns is None else columns
            delimiter = "\t" if _TSV.search(piece.url.lower()) else ","
            with fsspec.open(piece.url, "rb", compression="infer") as handle:
                for row in iter_csv(handle, columns, delimiter):
                    yield row.note_id, f"{piece.url}#row={row.number}", row.text, row.meta, row.encoding, row.error
        elif fmt == "jsonl":
            with fsspec.open(piece.url, "rb", compression="infer") as handle:
                for row in iter_jsonl(_jsonl_lines(handle, piece.byte_range), columns):
                    yield row.note_id, f"{piece.source}#line={row.number}", row.text, row.meta, row.encoding, row.error
        elif fmt == "parquet":
            with fsspec.open(piece.url, "rb") as handle:
                groups = list(piece.row_groups) if piece.row_groups is not None else None
                for row in iter_parquet(handle, columns, groups):
                    yield row.note_id, f"{piece.url}#row={row.number}", row.text, row.meta, row.encoding, row.error
        elif fmt == "physionet":
            with fsspec.open(piece.url, "rt", encoding="utf-8", errors="ehrbeam-replace-per-byte",
                             compression="infer", newline="") as handle:
                for record in iter_records(handle):
                    yield (record.note_id, f"{piece.url}#{record.note_id}", record.text,
                           {"patient_id": record.patient}, None, None)
        else:
            raise NoteError(f"unknown input format {fmt!r}")


def _report_cross_file_duplicates(run_id: str):
    def report(item) -> Iterator[dict]:
        note_id, sources = item
        sources = sorted(sources)
        for source in sources[1:]:
            yield error_row(run_id, "read", DuplicateNoteId(
                f"note id also read from {len(sources) - 1} other input(s); ids should be unique"), note_id, source)
    return report


class ReadNotes(beam.PTransform):
    """Read notes from a directory, glob or file of any supported format.

    Returns ``{"notes": Note, "note_rows": dict, "errors": dict}``: ``note_rows`` are the ``notes/`` rows of
    notes that never reached annotation (failed or skipped); ``errors`` the ``errors/`` rows of reading.
    """

    def __init__(self, spec: str, run_id: str, max_note_chars: int = DEFAULT_MAX_NOTE_CHARS,
                 config: ReadConfig | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.run_id = run_id
        self.config = config or ReadConfig(max_note_chars=max_note_chars)

    def expand(self, pbegin):
        listed = (
            pbegin
            | "InputSpec" >> beam.Create([self.spec])
            | "ListFiles" >> beam.ParDo(ListFiles(self.run_id, self.config)).with_outputs(ERRORS_TAG, main="files")
        )
        pieces = listed.files | "SplitFiles" >> beam.ParDo(SplitPieces(self.run_id)).with_outputs(
            ERRORS_TAG, main="pieces")
        read = (
            pieces.pieces
            | "SpreadPieces" >> beam.Reshuffle()
            | "ReadPieces" >> beam.ParDo(ReadPieces(self.run_id, self.config)).with_outputs(
                ERRORS_TAG, NOTE_ROWS_TAG, main="notes")
        )
        errors = [listed[ERRORS_TAG], pieces[ERRORS_TAG], read[ERRORS_TAG]]
        if self.config.cross_file_duplicates:
            errors.append(
                read.notes
                | "NoteIdSources" >> beam.Map(lambda note: (note.note_id, note.source.split("#")[0].split("!/")[0]))
                | "GroupIds" >> beam.GroupByKey()
                | "CrossFileDuplicates" >> beam.FlatMap(_report_cross_file_duplicates(self.run_id))
            )
        errors = tuple(errors) | "ReadErrors" >> beam.Flatten()
        return {"notes": read.notes, "note_rows": read[NOTE_ROWS_TAG], "errors": errors}


