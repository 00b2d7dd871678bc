import gzip
import json

import apache_beam as beam
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.testing.util import assert_that, equal_to

from ehr_models.records import Note
from tests.conftest import MIXED_NOTE_IDS, in_process_pipeline
from transforms.read import ListFiles, Piece, ReadConfig, ReadNotes, ReadPieces, SplitPieces, _jsonl_lines


def outputs(dofn, element) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in dofn.process(element):
        tag = getattr(item, "tag", "main")
        found.setdefault(tag, []).append(getattr(item, "value", item))
    return found


def test_list_files_detects_each_format(mixed_dir):
    pieces = {p.name: p.format for p in ListFiles("r", ReadConfig()).process(str(mixed_dir))}
    assert pieces == {"plain": "text", "batch": "archive", "letters": "archive", "NOTEEVENTS": "csv",
                      "extra": "jsonl", "table": "parquet", "id": "physionet", "broken": "archive"}


def test_missing_input_is_an_error_row_not_an_exception(tmp_path):
    (error,) = outputs(ListFiles("r", ReadConfig()), str(tmp_path / "nope"))["errors"]
    assert error["error_type"] == "InputNotFound" and error["note_id"] is None


def test_parquet_splits_by_row_group_and_jsonl_by_byte_range(mixed_dir, tmp_path):
    parquet = list(SplitPieces("r").process(Piece(str(mixed_dir / "table.parquet"), "table", "parquet")))
    assert [p.row_groups for p in parquet] == [(0,), (1,)]
    lines = [json.dumps({"note_id": f"n{i}", "text": "x" * (i * 7 % 50)}).encode() + b"\n" for i in range(200)]
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(lines))
    pieces = list(SplitPieces("r", jsonl_split_bytes=997).process(Piece(str(path), "big", "jsonl")))
    assert len(pieces) > 5
    read = []
    for piece in pieces:
        with open(path, "rb") as handle:
            read += list(_jsonl_lines(handle, piece.byte_range))
    assert read == lines  # every line exactly once, whatever the cut points


def test_read_pieces_text_decoding_and_bad_files(notes_dir):
    reader = ReadPieces("r", ReadConfig())
    (note,) = outputs(reader, Piece(str(notes_dir / "legacy.txt"), "legacy", "text"))["main"]
    assert isinstance(note, Note) and note.encoding == "cp1252" and note.text.startswith("Café")
    for name, note_id, status, kind in (("corrupt.txt.gz", "corrupt", "error", "CorruptInput"),
                                        ("scan.txt", "scan", "error", "BinaryContent"),
                                        ("blank.txt", "blank", "skipped", "EmptyNote")):
        out = outputs(reader, Piece(str(notes_dir / name), note_id, "text"))
        assert out["note_rows"][0]["status"] == status and out["errors"][0]["error_type"] == kind
        assert "main" not in out


def test_oversized_note_goes_to_errors(notes_dir):
    out = outputs(ReadPieces("r", ReadConfig(max_note_chars=10)), Piece(str(notes_dir / "nurse-7.txt"), "nurse-7",
                                                                         "text"))
    assert out["errors"][0]["error_type"] == "NoteTooLarge" and out["note_rows"][0]["status"] == "error"


def test_mimic_rows_carry_metadata_and_skips_are_accounted(mixed_dir):
    out = outputs(ReadPieces("r", ReadConfig()), Piece(str(mixed_dir / "NOTEEVENTS.csv.gz"), "NOTEEVENTS", "csv"))
    (note,) = out["main"]
    assert note.note_id == "11" and note.text == "KCl 20 mEq po x1\nfor K 3.3"
    assert note.meta == {"patient_id": "5", "encounter_id": "50", "note_date": "2101-01-01", "category": "Nursing"}
    assert sorted(e["error_type"] for e in out["errors"]) == ["DuplicateNoteId", "SkippedRow"]
    assert [r["status"] for r in out["note_rows"]] == ["skipped", "skipped"]
    assert all("wrong patient" not in e["message"] for e in out["errors"])


def test_read_notes_accounts_for_every_input_of_every_format(mixed_dir):
    with in_process_pipeline() as pipeline:
        read = pipeline | ReadNotes(str(mixed_dir), "run-1")
        assert_that(read["notes"] | beam.Map(lambda n: n.note_id), equal_to(sorted(MIXED_NOTE_IDS)), label="Notes")
        assert_that(read["errors"] | beam.Map(lambda e: (e["note_id"], e["error_type"])), equal_to([
            ("batch/ward/2", "EmptyNote"), ("batch/../x", "UnsafeMember"), ("12", "SkippedRow"),
            ("11", "DuplicateNoteId"), (None, "MalformedRow"), (None, "CorruptInput")]), label="Errors")


def test_duplicates_across_files_are_reported(tmp_path):
    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_text(json.dumps({"note_id": "same", "text": "asa 81 mg"}) + "\n")
    with in_process_pipeline() as pipeline:
        read = pipeline | ReadNotes(str(tmp_path), "run-1")
        assert_that(read["errors"] | beam.Map(lambda e: (e["note_id"], e["error_type"], e["source"].endswith(
            "b.jsonl"))), equal_to([("same", "DuplicateNoteId", True)]))


def test_memory_filesystem_urls(tmp_path):
    fs = fsspec.filesystem("memory")
    fs.pipe("/ehrbeam-test/notes/a/1.txt", b"Lopressor 25 mg PO BID")
    fs.pipe("/ehrbeam-test/notes/2.txt.gz", gzip.compress(b"Lasix 20 mg daily"))
    try:
        with in_process_pipeline() as pipeline:
            read = pipeline | ReadNotes("memory://ehrbeam-test/notes", "run-1")
            assert_that(read["notes"] | beam.Map(lambda n: (n.note_id, n.text[:8])),
                        equal_to([("a/1", "Lopresso"), ("2", "Lasix 20")]))
    finally:
        fs.rm("/ehrbeam-test", recursive=True)
