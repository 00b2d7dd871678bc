"""ReadNotes and WriteDatasets: the only places pipelines touch storage.

Reading goes through fsspec, so ``file://``, ``memory://``, ``s3://``, ``gs://``, ``hdfs://`` and ``http(s)://``
work wherever the matching fsspec filesystem package is installed. Writing goes through Beam's own filesystems
(local, GCS, S3, HDFS), so the sink scales on every runner.
"""

from __future__ import annotations

import gzip
import logging
import lzma
import zlib
from typing import Iterator

import apache_beam as beam
import fsspec
from apache_beam.io.filesystems import FileSystems

from ehr_models.formats.text_files import glob_base, is_hidden, note_id_for
from ehr_models.records import CorruptInput, EmptyNote, Note, NoteError, NoteTooLarge, error_type, safe_message
from ehr_models.text.decoding import decode_note
from transforms import schemas

_LOGGER = logging.getLogger(__name__)
ERRORS_TAG = "errors"
DEFAULT_MAX_NOTE_CHARS = 2_000_000


def error_row(run_id: str, stage: str, error: BaseException, note_id: str | None, source: str) -> dict:
    return schemas.row(schemas.ERRORS, note_id=note_id, source=source, stage=stage,
                       error_type=error_type(error), message=safe_message(error), run_id=run_id)


def note_row(run_id: str, note_id: str, source: str, status: str, characters: int | None = None,
             tokens: int | None = None, encoding: str | None = None, meta: dict | None = None) -> dict:
    return schemas.row(schemas.NOTES, note_id=note_id, source=source, status=status, characters=characters,
                       tokens=tokens, encoding=encoding, run_id=run_id, **(meta or {}))



def _read_bytes(url: str) -> bytes:
    """The whole (decompressed) file; damaged compression becomes ``CorruptInput`` with no library message."""
    try:
        with fsspec.open(url, "rb", compression="infer") as handle:
            return handle.read()
    except (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError) as error:
        raise CorruptInput(f"compressed file is truncated or corrupt ({type(error).__name__})") from None


class ExpandInput(beam.DoFn):
    """An input spec (directory, glob or file, any fsspec URL) -> ``(url, note_id)`` per text file."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

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
                raise NoteError("input not found", "InputNotFound")
        except Exception as error:  # a bad input spec is recorded, never raised: other inputs go on
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "read", error, None, spec))
            return
        for found in sorted(paths):
            relative = found[len(base.rstrip("/")) + 1 :] if base else found.rsplit("/", 1)[-1]
            if is_hidden(relative):
                continue
            yield prefix + found, note_id_for(found, base)


class ReadTextFile(beam.DoFn):
    """``(url, note_id)`` -> ``Note``; unreadable, binary, empty or oversized files go to the errors output."""

    def __init__(self, run_id: str, max_note_chars: int = DEFAULT_MAX_NOTE_CHARS) -> None:
        self.run_id = run_id
        self.max_note_chars = max_note_chars

    def process(self, element: tuple[str, str]) -> Iterator:
        url, note_id = element
        try:
            data = _read_bytes(url)
            text, encoding = decode_note(data)
            if not text.strip():
                raise EmptyNote("empty note")
            if len(text) > self.max_note_chars:
                raise NoteTooLarge(f"note has {len(text)} characters; limit is {self.max_note_chars}")
        except Exception as error:
            _LOGGER.warning("note %s could not be read: %s", note_id, error_type(error))
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "read", error, note_id, url))
            status = "skipped" if isinstance(error, EmptyNote) else "error"
            yield beam.pvalue.TaggedOutput("notes", note_row(self.run_id, note_id, url, status))
            return
        yield Note(note_id=note_id, text=text, source=url, encoding=encoding)


class ReadNotes(beam.PTransform):
    """Read notes from a directory, glob or file. Returns ``{"notes": Note, "note_rows": dict, "errors": dict}``:
    ``note_rows`` are the ``notes/`` rows of notes that never reached annotation."""

    def __init__(self, spec: str, run_id: str, max_note_chars: int = DEFAULT_MAX_NOTE_CHARS) -> None:
        super().__init__()
        self.spec = spec
        self.run_id = run_id
        self.max_note_chars = max_note_chars

    def expand(self, pbegin):
        listed = (
            pbegin
            | "InputSpec" >> beam.Create([self.spec])
            | "ListFiles" >> beam.ParDo(ExpandInput(self.run_id)).with_outputs(ERRORS_TAG, main="files")
        )
        read = (
            listed.files
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadFiles" >> beam.ParDo(ReadTextFile(self.run_id, self.max_note_chars)).with_outputs(
                ERRORS_TAG, "notes", main="read")
        )
        errors = (listed[ERRORS_TAG], read[ERRORS_TAG]) | "MergeReadErrors" >> beam.Flatten()
        return {"notes": read.read, "note_rows": read.notes, "errors": errors}


def clear_datasets(output: str, names=tuple(schemas.DATASETS)) -> None:
    """Remove the Parquet parts a previous run left in ``output/NAME/`` so a rerun replaces, never duplicates."""
    for name in names:
        pattern = FileSystems.join(output, name, "*.parquet")
        matched = [m.path for result in FileSystems.match([pattern]) for m in result.metadata_list]
        if matched:
            FileSystems.delete(matched)


class WriteDatasets(beam.PTransform):
    """Write ``{name: PCollection of row dicts}`` as Parquet datasets ``output/NAME/part-*.parquet``."""

    def __init__(self, output: str, num_shards: int = 0) -> None:
        super().__init__()
        self.output = output
        self.num_shards = num_shards

    def expand(self, datasets: dict):
        results = {}
        for name, rows in datasets.items():
            results[name] = rows | f"Write{name.capitalize()}" >> beam.io.WriteToParquet(
                FileSystems.join(self.output, name, "part"),
                schema=schemas.DATASETS[name],
                file_name_suffix=".parquet",
                num_shards=self.num_shards,
            )
        return results
