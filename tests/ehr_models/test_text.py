from ehr_models.text import segments, tokenize
from ehr_models.text.decoding import decode_note
from ehr_models.records import BinaryContent

import pytest


def test_tokens_carry_offsets_into_the_text():
    text = "Lasix 40mg IV b.i.d.; MSO4 2-4 mg q2h"
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert [t.text for t in tokens][:4] == ["Lasix", "40", "mg", "IV"]
    assert "MSO4" in [t.text for t in tokens] and "q2h" in [t.text for t in tokens]


def test_tokenize_offset_shifts_positions():
    assert tokenize("asa 81", offset=10)[1].start == 14


def test_segments_split_run_together_lists_and_lines():
    text = "MEDICATIONS:, 1. Lasix 40 mg daily. 2. Colace 100 mg bid; ASA 81 mg\nPLAN: K 3.9\nwrapped line"
    pieces = [text[a:b].strip() for a, b in segments(text)]
    assert "Lasix 40 mg daily" in pieces and "Colace 100 mg bid" in pieces
    assert "ASA 81 mg" in pieces
    assert "PLAN: K 3.9\nwrapped line" in pieces  # a hard-wrapped line continues its sentence
    assert all(pieces)


def test_decode_utf8_and_legacy_and_damaged_bytes_keep_offsets():
    assert decode_note("naïve lasix".encode()) == ("naïve lasix", "utf-8")
    assert decode_note("naïve lasix".encode("cp1252")) == ("naïve lasix", "cp1252")
    damaged = "café ".encode() + b"\xe2\x82" + b" lasix"
    text, encoding = decode_note(damaged)
    assert encoding == "utf-8+replace"
    assert text == "café \ufffd\ufffd lasix"  # one replacement per bad byte: later offsets stay put
    assert decode_note(b"\xef\xbb\xbfASA")[0] == "ASA"


def test_binary_content_is_refused():
    with pytest.raises(BinaryContent):
        decode_note(b"PK\x03\x04\x00\x00")
