"""Notes stored as rows: CSV (MIMIC-III ``NOTEEVENTS`` included), JSON Lines and Parquet, read as streams.

A ``ColumnMap`` names the id and text columns and the metadata columns (``patient_id``, ``encounter_id``,
``note_date``, ``category``). For a CSV whose header has ``ROW_ID``, ``TEXT`` and ``ISERROR`` the MIMIC-III map
applies unless one is given; rows with ``ISERROR=1`` are skipped (and counted). Bad rows (wrong column count,
missing id or text, invalid JSON) become errors carrying the row number, never the row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Iterator

from ehr_models.records import META_KEYS, NoteError
from ehr_models.text.decoding import decode_stream_encoding

csv.field_size_limit(1 << 30)  # MIMIC TEXT fields run to hundreds of KB; the default is 128 KB


class MalformedRow(NoteError):
    pass


class SkippedRow(NoteError):
    """A row the source itself marks as not a note (MIMIC ``ISERROR=1``)."""


@dataclass(frozen=True)
class ColumnMap:
    id: str = "note_id"
    text: str = "text"
    meta: dict[str, str] = field(default_factory=dict)  # output key (META_KEYS) -> source column

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, config: dict) -> "ColumnMap":
        meta = dict(config.get("meta", {}))
        unknown = set(meta) - set(META_KEYS)
        if unknown:
            raise ValueError(f"unknown metadata keys {sorted(unknown)}; allowed: {', '.join(META_KEYS)}")
        return cls(config.get("id", "note_id"), config.get("text", "text"), meta)


MIMIC_COLUMNS = ColumnMap(id="ROW_ID", text="TEXT", meta={"patient_id": "SUBJECT_ID", "encounter_id": "HADM_ID",
                                                          "note_date": "CHARTDATE", "category": "CATEGORY"})
_MIMIC_HEADER = {"ROW_ID", "TEXT", "ISERROR"}


@dataclass(frozen=True)
class Row:
    """One note from a table (``text`` set), or a row that failed (``error`` set). ``number`` is 1-based."""

    number: int
    note_id: str | None
    text: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    error: NoteError | None = None
    encoding: str = "utf-8"


def _row(number: int, record: dict, columns: ColumnMap, encoding: str) -> Row:
    note_id = record.get(columns.id)
    note_id = None if note_id in (None, "") else str(note_id)
    text = record.get(columns.text)
    if note_id is None:
        return Row(number, None, error=MalformedRow(f"row {number}: no value in id column {columns.id!r}"))
    if text is None:
        return Row(number, note_id, error=MalformedRow(f"row {number}: no value in text column {columns.text!r}"))
    meta = {key: str(record[column]) for key, column in columns.meta.items() if record.get(column) not in (None, "")}
    if "\ufffd" in text and encoding == "utf-8":
        encoding = "utf-8+replace"
    return Row(number, note_id, str(text), meta, encoding=encoding)


def iter_csv(handle: BinaryIO, columns: ColumnMap | None = None, delimiter: str = ",") -> Iterator[Row]:
    """Rows of a CSV file; ``columns=None`` means MIMIC's map for NOTEEVENTS headers, else ``ColumnMap()``."""
    encoding = decode_stream_encoding(handle)
    text = io.TextIOWrapper(handle, encoding="cp1252" if encoding == "cp1252" else "utf-8",
                            errors="ehrbeam-latin1-byte" if encoding == "cp1252" else "ehrbeam-replace-per-byte",
                            newline="")
    reader = csv.reader(text, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    if columns is None:
        columns = MIMIC_COLUMNS if _MIMIC_HEADER <= set(header) else ColumnMap()
    mimic = "ISERROR" in header
    for number, values in enumerate(reader, start=1):
        if len(values) != len(header):
            yield Row(number, None, error=MalformedRow(
                f"row {number}: {len(values)} fields where the header has {len(header)}"))
            continue
        record = dict(zip(header, values))
        if mimic and record.get("ISERROR", "").strip() == "1":
            yield Row(number, record.get(columns.id) or None, error=SkippedRow(f"row {number}: ISERROR=1"))
            continue
        yield _row(number, record, columns, encoding)


def iter_jsonl(lines: Iterable[bytes], columns: ColumnMap | None = None) -> Iterator[Row]:
    columns = columns or ColumnMap()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            yield Row(number, None, error=MalformedRow(f"line {number}: not valid JSON"))
            continue
        if not isinstance(record, dict):
            yield Row(number, None, error=MalformedRow(f"line {number}: not a JSON object"))
            continue
        yield _row(number, record, columns, "utf-8")


def iter_parquet(handle: BinaryIO, columns: ColumnMap | None = None, row_groups: list[int] | None = None,
                 batch_rows: int = 1024) -> Iterator[Row]:
    """Rows of a Parquet file, a batch at a time; ``row_groups`` limits reading to those groups (parallel reads)."""
    import pyarrow.parquet as pq

    columns = columns or ColumnMap()
    parquet = pq.ParquetFile(handle)
    wanted = [columns.id, columns.text, *columns.meta.values()]
    missing = [name for name in wanted if name not in parquet.schema_arrow.names]
    if missing:
        raise MalformedRow(f"columns not in the Parquet file: {missing}")
    groups = list(range(parquet.num_row_groups)) if row_groups is None else row_groups
    number = sum(parquet.metadata.row_group(i).num_rows for i in range(min(groups, default=0)))
    for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=groups, columns=list(dict.fromkeys(wanted))):
        for record in batch.to_pylist():
            number += 1
            yield _row(number, record, columns, "utf-8")
