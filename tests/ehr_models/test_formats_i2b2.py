import io

import pytest

from ehr_models.formats import i2b2
from ehr_models.formats.examples import document_examples

# Line 2 holds a list entry; the reason of line 1 spans two lines' worth of tokens on one line.
NOTE = "Pt given Nitroglycerin sublingual for vague chest discomfort\nFlomax ( Tamsulosin ) 0.4 mg , po , qd\n"
ENTRIES = [
    'm="nitroglycerin" 1:2 1:2||do="nm"||mo="sublingual" 1:3 1:3||f="nm"||du="nm"||r="vague chest discomfort" '
    '1:5 1:7||ln="narrative"',
    'm="flomax ( tamsulosin )" 2:0 2:3||do="0.4 mg" 2:4 2:5||mo="po" 2:7 2:7||f="qd" 2:9 2:9||du="nm"||r="nm"'
    '||ln="list"',
]


def test_parse_entries_and_map_positions_to_characters():
    entries = [i2b2.parse_entry(line) for line in ENTRIES]
    assert entries[0].fields["m"][0] == i2b2.Phrase("nitroglycerin", (1, 2), (1, 2))
    assert "do" not in entries[0].fields and entries[0].other == {"ln": "narrative"}
    char = i2b2.char_entries(NOTE, entries)
    assert [NOTE[s:e] for s, e in char[0]["r"]] == ["vague chest discomfort"]
    assert [NOTE[s:e] for s, e in char[1]["m"]] == ["Flomax ( Tamsulosin )"]
    assert [NOTE[s:e] for s, e in char[1]["do"]] == ["0.4 mg"]


def test_write_read_round_trip_and_document_conversion(tmp_path):
    entries = [i2b2.parse_entry(line) for line in ENTRIES]
    handle = io.StringIO()
    i2b2.write_entries(entries, handle)
    path = tmp_path / "note.entries"
    path.write_text(handle.getvalue(), encoding="utf-8")
    assert i2b2.read_entries(path) == entries
    document = i2b2.to_document("note", NOTE, entries)
    labels = sorted(label for _, _, label in document.spans)
    assert labels == ["dosage", "frequency", "medication", "medication", "reason", "route", "route"]
    # Entries rebuilt from the document's links carry the same positions.
    rebuilt = i2b2.entries_from_document(document)
    # (Gold entries lower-case their text; positions are what count.)
    assert sorted(i2b2.format_entry(e).lower() for e in rebuilt) == sorted(
        i2b2.format_entry(i2b2.Entry(dict(e.fields))) for e in entries)
    examples = document_examples(document)
    assert sum(len(e.spans) for e in examples) == 7


def test_discontinuous_phrases_and_bad_fields():
    entry = i2b2.parse_entry('m="lasix...furosemide" 3:1 3:1,4:0 4:0||do="nm"')
    assert [p.text for p in entry.fields["m"]] == ["lasix", "furosemide"]
    with pytest.raises(ValueError):
        i2b2.parse_entry('m=lasix 3:1 3:1')
    with pytest.raises(ValueError):
        i2b2.parse_entry('do="40 mg" 1:1 1:2')  # no medication
    with pytest.raises(ValueError):
        i2b2.char_entries("one line", [i2b2.parse_entry('m="x" 5:0 5:0')])
