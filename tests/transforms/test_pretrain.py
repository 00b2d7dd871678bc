"""BuildCorpus on Beam's in-process runner: shards, counts and manifest agree with the notes they came from."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from ehr_models.embeddings import corpus
from ehr_models.records import Note
from tests.conftest import CLINIC_NOTE, NURSING_NOTE, in_process_pipeline
from transforms.pretrain import STATUS, BuildCorpus

NOTES = [
    Note("a/123", NURSING_NOTE, "mem://a/123.txt"),
    Note("nurse-7", CLINIC_NOTE, "mem://nurse-7.txt"),
    Note("zipped", "Started vanco 1 gm IV q12h for MRSA.\nCont. lasix 40 mg PO daily; K 3.9\n", "mem://zipped.txt"),
]


def tokens_of(note: Note) -> int:
    return corpus.note_corpus(note.note_id, note.text)[2][2]


def build(tmp_path: Path, notes: list[Note], num_shards: int, broken: tuple[str, ...] = ()) -> Path:
    """Run BuildCorpus; checks the notes rows (every note, with its status and tokens) and the error rows."""
    directory = tmp_path / "corpus"
    rows = [(n.note_id, STATUS, tokens_of(n)) for n in notes if n.note_id not in broken]
    rows += [(note_id, "error", None) for note_id in broken]
    with in_process_pipeline() as pipeline:
        built = (pipeline | beam.Create(notes, reshuffle=False)
                 | BuildCorpus(str(directory), "run-1", num_shards, {"input": "test"}))
        assert_that(built["note_rows"] | "Rows" >> beam.Map(lambda r: (r["note_id"], r["status"], r["tokens"])),
                    equal_to(rows), label="NoteRows")
        # An error row names the note and the stage; its message never carries the exception's text.
        errors = built["errors"] | "Errors" >> beam.Map(
            lambda r: (r["note_id"], r["stage"], r["error_type"], "details withheld" in r["message"]))
        assert_that(errors, equal_to([(note_id, "pretrain", "TypeError", True) for note_id in broken]),
                    label="ErrorRows")
    return directory


def test_shards_counts_and_manifest_match_the_notes(tmp_path):
    directory = build(tmp_path, NOTES, num_shards=2)
    manifest = json.loads((directory / corpus.MANIFEST).read_text(encoding="utf-8"))
    assert corpus.read_corpus_manifest(str(directory)) == manifest
    assert len(manifest["shards"]) == 2 and all((directory / name).exists() for name in manifest["shards"])

    expected_lines, expected_counts, digest = [], Counter(), 0
    for note in NOTES:
        lines, counts, stats = corpus.note_corpus(note.note_id, note.text)
        expected_lines += lines
        expected_counts += counts
        digest += stats[-1]
    shard_lines = [line for name in manifest["shards"]
                   for line in (directory / name).read_text(encoding="utf-8").splitlines()]
    assert sorted(shard_lines) == sorted(expected_lines)  # one sentence a line, none lost or doubled
    counts = corpus.read_counts([str(directory / name) for name in manifest["counts"]])
    assert counts == dict(expected_counts)
    assert manifest["notes"] == 3 and manifest["sentences"] == len(expected_lines)
    assert manifest["tokens"] == sum(expected_counts.values()) and manifest["vocab_size"] == len(expected_counts)
    assert manifest["characters"] == sum(len(n.text) for n in NOTES)
    assert manifest["input_fingerprint"] == corpus.fingerprint(digest)
    assert manifest["options"] == {"input": "test"}


def test_a_note_that_fails_is_an_error_row_without_text(tmp_path):
    broken = Note("broken-1", None, "mem://broken-1.txt")  # type: ignore[arg-type]  # text that is not text
    directory = build(tmp_path, NOTES[:1] + [broken], num_shards=1, broken=("broken-1",))
    assert json.loads((directory / corpus.MANIFEST).read_text())["notes"] == 1


def test_empty_input_still_writes_a_manifest(tmp_path):
    directory = build(tmp_path, [], num_shards=1)
    manifest = corpus.read_corpus_manifest(str(directory))
    assert (manifest["notes"], manifest["tokens"], manifest["vocab_size"]) == (0, 0, 0)
    assert corpus.read_counts([str(directory / name) for name in manifest["counts"]]) == {}


def test_runner_chosen_sharding_writes_every_sentence(tmp_path):
    directory = build(tmp_path, NOTES, num_shards=0)
    manifest = corpus.read_corpus_manifest(str(directory))
    lines = sum(len((directory / name).read_text().splitlines()) for name in manifest["shards"])
    assert lines == manifest["sentences"] > 0
