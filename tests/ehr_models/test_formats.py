import json

import pytest

from ehr_models.formats.medication_json import check_against_text, parse_line
from ehr_models.formats.physionet import iter_records, read_phi
from ehr_models.formats.text_files import glob_base, note_id_for, strip_extension


@pytest.mark.parametrize("path, expected", [
    ("a/123.txt", "a/123"), ("nurse-7.txt", "nurse-7"), ("b/x.txt.gz", "b/x"), ("notes", "notes"),
    ("v1.2/report.final.txt", "v1.2/report.final"), (".hidden", ".hidden"),
])
def test_strip_extension(path, expected):
    assert strip_extension(path) == expected


def test_note_id_rule_for_directories_globs_and_files():
    assert note_id_for("/data/notes/a/123.txt", "/data/notes") == "a/123"
    assert note_id_for("/data/notes/a/123.txt", "/data/notes/") == "a/123"
    assert note_id_for("/data/notes/nurse-7.txt", None) == "nurse-7"
    assert glob_base("/data/notes/*/x*.txt") == "/data/notes"
    assert note_id_for("/data/notes/a/x1.txt", glob_base("/data/notes/*/x*.txt")) == "a/x1"


def test_physionet_records_and_phi_offsets():
    text = "START_OF_RECORD=1||||2||||\nPt seen by Dr. Smith\non 7/22.\n||||END_OF_RECORD\n"
    records = list(iter_records(text.splitlines(keepends=True)))
    assert [r.note_id for r in records] == ["1-2"]
    phi = list(read_phi(["1 2 15 20 HCPName Smith\n"]))
    assert records[0].text[phi[0].start : phi[0].end] == "Smith"


def test_medication_json_parses_and_checks_offsets():
    text = "lasix 40 mg"
    line = json.dumps({"source": "x", "note_id": "n1",
                       "entities": [{"id": "T1", "type": "m", "start": 0, "end": 5, "text": "lasix"},
                                    {"id": "T2", "type": "do", "start": 6, "end": 11, "text": "40 mg"}],
                       "entries": [{"m": "T1", "do": ["T2"]}]})
    note = parse_line(line)
    assert [e.label for e in note.entities] == ["medication", "dosage"] and note.relations == [("T1", "T2")]
    assert check_against_text(note, text) == []
    assert check_against_text(note, "LASIX 40 mg") != []
    with pytest.raises(ValueError):
        parse_line(line.replace('"m": "T1"', '"m": "T9"'))
