import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from ehr_models.records import Note
from tests.conftest import in_process_pipeline
from transforms.io import ExpandInput, ReadNotes, ReadTextFile


def test_expand_input_lists_files_with_contract_note_ids(notes_dir):
    listed = dict((note_id, url) for url, note_id in ExpandInput("r").process(str(notes_dir)))
    assert set(listed) == {"a/123", "nurse-7", "a/zipped", "legacy", "corrupt", "scan", "blank"}  # no .DS_Store
    globbed = [note_id for _, note_id in ExpandInput("r").process(str(notes_dir / "a" / "*.txt"))]
    assert globbed == ["123"]
    single = list(ExpandInput("r").process(str(notes_dir / "a" / "123.txt")))
    assert [note_id for _, note_id in single] == ["123"]


def test_missing_input_is_an_error_row_not_an_exception(tmp_path):
    out = list(ExpandInput("r").process(str(tmp_path / "nope")))
    assert len(out) == 1 and out[0].tag == "errors" and out[0].value["error_type"] == "InputNotFound"


def test_read_text_file_decodes_and_reports_bad_files(notes_dir):
    reader = ReadTextFile("r")
    (note,) = list(reader.process((str(notes_dir / "legacy.txt"), "legacy")))
    assert isinstance(note, Note) and note.encoding == "cp1252" and note.text.startswith("Café")
    (gz,) = list(reader.process((str(notes_dir / "a" / "zipped.txt.gz"), "a/zipped")))
    assert gz.text.startswith("Started vanco")
    for name, note_id, status in (("corrupt.txt.gz", "corrupt", "error"), ("scan.txt", "scan", "error"),
                                  ("blank.txt", "blank", "skipped")):
        out = {o.tag: o.value for o in reader.process((str(notes_dir / name), note_id))}
        assert out["notes"]["status"] == status and out["errors"]["note_id"] == note_id


def test_oversized_note_goes_to_errors(notes_dir):
    out = {o.tag: o.value for o in ReadTextFile("r", max_note_chars=10).process((str(notes_dir / "nurse-7.txt"),
                                                                                   "nurse-7"))}
    assert out["errors"]["error_type"] == "NoteTooLarge"


def test_read_notes_pipeline_accounts_for_every_file(notes_dir):
    with in_process_pipeline() as pipeline:
        read = pipeline | ReadNotes(str(notes_dir), "run-1")
        assert_that(read["notes"] | beam.Map(lambda n: n.note_id),
                    equal_to(["a/123", "nurse-7", "a/zipped", "legacy"]), label="Readable")
        assert_that(read["errors"] | beam.Map(lambda e: (e["note_id"], e["error_type"])),
                    equal_to([("corrupt", "CorruptInput"), ("scan", "BinaryContent"), ("blank", "EmptyNote")]),
                    label="Errors")
        assert_that(read["note_rows"] | beam.Map(lambda r: (r["note_id"], r["status"])),
                    equal_to([("corrupt", "error"), ("scan", "error"), ("blank", "skipped")]), label="Rows")
