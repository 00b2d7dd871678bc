"""Scheduled, incremental runs: Hive partitions per run date, state per model version, no duplicate rows."""

import re
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from ehr_models.annotation import Annotation, Entity, Relation
from ehr_models.registry import register
from pipelines.annotate import run


class _Words:
    """A fast annotator for pipeline mechanics: every word "lasix" is a medication, every "40mg" a dosage."""

    name, version = "words", "1"

    def predict(self, text):
        entities = [Entity(m.start(), m.end(), "medication" if m.group().lower() == "lasix" else "dosage", 0.9)
                    for m in re.finditer(r"(?i)\blasix\b|\b40mg\b", text)]
        medications = [i for i, e in enumerate(entities) if e.label == "medication"]
        relations = [Relation(medications[0], i) for i, e in enumerate(entities)
                     if e.label == "dosage" and medications]
        return Annotation(entities, relations)

    def to_dict(self):
        return {"type": "words"}


@pytest.fixture(autouse=True)
def words_annotator(monkeypatch):
    register("words", lambda config: _Words())
    monkeypatch.setattr(_Words, "version", "1")


def hive(output, name):
    path = output / name
    if not path.exists():
        return []
    return ds.dataset(path, format="parquet", partitioning="hive").to_table().to_pylist()


def annotate(notes, output, run_date, *extra):
    return run(["--runner=DirectRunner", "--skip_deid", "--model=words", "--input", str(notes), "--output",
                str(output), f"--run_date={run_date}", *extra])


def entity_keys(output):
    return [(r["note_id"], r["entity_id"], r["model_version"]) for r in hive(output, "entities")]


def test_incremental_runs_annotate_only_what_is_new(tmp_path):
    notes, output = tmp_path / "notes", tmp_path / "out"
    notes.mkdir()
    (notes / "a.txt").write_text("lasix 40mg iv bid\n")
    (notes / "b.txt").write_text("Lasix 40mg po daily\n")
    first = annotate(notes, output, "2026-01-01")
    assert first["notes_by_status"] == {"annotated": 2} and first["notes_skipped"] == 0
    assert (output / "entities" / "run_date=2026-01-01").is_dir()

    # Same input the next night: nothing new is written, both notes are accounted for as skipped.
    second = annotate(notes, output, "2026-01-02")
    assert second["notes_by_status"] == {} and second["skipped_by_reason"] == {"already_annotated": 2}
    assert second["notes_read"] == 2 and second["notes_out"] == 0
    assert len(entity_keys(output)) == 4 and len(hive(output, "notes")) == 2

    # A new note and a changed one are annotated; the unchanged one is not.
    (notes / "c.txt").write_text("lasix\n")
    (notes / "b.txt").write_text("Lasix 40mg po daily, held today\n")
    third = annotate(notes, output, "2026-01-03")
    assert third["notes_by_status"] == {"annotated": 2} and third["skipped_by_reason"] == {"already_annotated": 1}
    dates = {(r["note_id"], str(r["run_date"])) for r in hive(output, "notes")}
    assert ("c", "2026-01-03") in dates and ("b", "2026-01-03") in dates and ("a", "2026-01-01") in dates

    # Rerunning a night replaces that night's partition: no duplicate rows.
    annotate(notes, output, "2026-01-03")
    notes_rows = hive(output, "notes")
    assert len(notes_rows) == len({(r["note_id"], r["run_id"]) for r in notes_rows}) == 4
    assert len(hive(output, "state")) == 4


def test_a_new_model_version_annotates_everything_again(tmp_path, monkeypatch):
    notes, output = tmp_path / "notes", tmp_path / "out"
    notes.mkdir()
    (notes / "a.txt").write_text("lasix 40mg iv bid\n")
    annotate(notes, output, "2026-01-01")
    monkeypatch.setattr(_Words, "version", "2")
    again = annotate(notes, output, "2026-01-01")  # same night, other version: v1's rows stay
    assert again["notes_by_status"] == {"annotated": 1} and again["notes_skipped"] == 0
    keys = entity_keys(output)
    assert sorted(keys) == [("a", "T1", "1"), ("a", "T1", "2"), ("a", "T2", "1"), ("a", "T2", "2")]
    relations = hive(output, "relations")
    assert sorted(r["model_version"] for r in relations) == ["1", "2"]


def test_since_skips_older_notes_by_note_date(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = tmp_path / "notes.parquet"
    pq.write_table(pa.table({"note_id": ["old", "new", "undated"],
                             "text": ["lasix 40mg", "lasix 40mg", "lasix"],
                             "written": ["2025-12-31", "2026-01-02", None]}), source)
    summary = annotate(source, tmp_path / "out", "2026-01-05", "--since=2026-01-01",
                       "--meta_columns=note_date=written")
    assert summary["skipped_by_reason"] == {"before_since": 1}
    assert {r["note_id"] for r in hive(tmp_path / "out", "notes")} == {"new", "undated"}


def test_bad_dates_and_models_fail_before_any_work(tmp_path):
    with pytest.raises(SystemExit, match="YYYY-MM-DD"):
        annotate(tmp_path, tmp_path / "out", "yesterday")
    with pytest.raises(SystemExit, match="unknown --model 'nope'"):
        run(["--model=nope", "--output", str(tmp_path / "out")])
    (tmp_path / "empty-model").mkdir()
    with pytest.raises(SystemExit, match="not a model package"):
        run([f"--model={tmp_path / 'empty-model'}", "--output", str(tmp_path / "out")])
    (tmp_path / "empty-model" / "config.json").write_text('{"kind": "relations"}')
    with pytest.raises(SystemExit, match="'relations' package"):
        run([f"--model={tmp_path / 'empty-model'}", "--output", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


PACKAGED_TAGGER = Path(__file__).resolve().parents[2] / "ehr_models" / "resources" / "models" / "medication-ner"


@pytest.mark.skipif(not (PACKAGED_TAGGER / "config.json").exists(), reason="no packaged tagger in this checkout")
def test_a_model_directory_runs_as_a_tagger(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "n1.txt").write_text("Started lasix 40 mg IV bid and metformin 500 mg daily.\n")
    summary = run(["--runner=DirectRunner", "--skip_deid", f"--model={PACKAGED_TAGGER}", "--input",
                   str(tmp_path / "notes"), "--output", str(tmp_path / "out")])
    assert summary["model"]["config"] == {"type": "tagger", "model": str(PACKAGED_TAGGER)}
    rows = hive(tmp_path / "out", "entities")
    assert rows and {r["model_name"] for r in rows} == {summary["model"]["name"]}
    assert any(r["label"] == "medication" and r["text"].lower() in ("lasix", "metformin") for r in rows)
