from pathlib import Path

import pyarrow.dataset as ds
import pytest

from ehr_models.annotation import LABELS
from ehr_models.registry import register
from pipelines.annotate import build, run
from pipelines.options import sample_notes_dir
from tests.conftest import MIXED_NOTE_IDS, NURSING_NOTE, in_process_pipeline
from transforms import schemas
from transforms.read import ReadConfig


def read(output: Path, name: str) -> list[dict]:
    return ds.dataset(output / name, format="parquet").to_table().to_pylist()


def note_texts(root: Path) -> dict[str, str]:
    texts = {}
    for path in root.rglob("*.txt"):
        texts[str(path.relative_to(root).with_suffix(""))] = path.read_text(encoding="utf-8")
    return texts


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("run") / "annotations"
    summary = run(["--runner=DirectRunner", "--output", str(output)])
    return output, summary


def test_default_run_annotates_the_bundled_samples(sample_run):
    output, summary = sample_run
    samples = note_texts(Path(sample_notes_dir()))
    assert summary["notes_read"] == len(samples) >= 5
    assert summary["notes_by_status"] == {"annotated": len(samples)}
    assert {row["note_id"] for row in read(output, "notes")} == set(samples)
    assert summary["entities_by_label"]["medication"] > 20


def test_datasets_follow_the_output_contract(sample_run):
    output, _ = sample_run
    for name, schema in schemas.DATASETS.items():
        table = ds.dataset(output / name, format="parquet").to_table()
        assert table.schema.names == schema.names, name
        for field in schema:
            assert table.schema.field(field.name).type == field.type, (name, field.name)


def test_every_entity_span_is_the_original_text(sample_run):
    output, _ = sample_run
    texts = note_texts(Path(sample_notes_dir()))
    entities = read(output, "entities")
    for entity in entities:
        assert entity["text"] == texts[entity["note_id"]][entity["start"] : entity["end"]]
        assert entity["label"] in LABELS
    keys = [(e["note_id"], e["entity_id"]) for e in entities]
    assert len(keys) == len(set(keys))


def test_relations_link_medications_to_attributes(sample_run):
    output, _ = sample_run
    labels = {(e["note_id"], e["entity_id"]): e["label"] for e in read(output, "entities")}
    relations = read(output, "relations")
    assert relations
    for relation in relations:
        assert labels[(relation["note_id"], relation["head_id"])] == "medication"
        assert labels[(relation["note_id"], relation["tail_id"])] == relation["label"] != "medication"


def test_bad_files_land_in_errors_while_the_others_are_annotated(notes_dir, tmp_path):
    output = tmp_path / "out"
    summary = run(["--runner=DirectRunner", "--model=rules", "--input", str(notes_dir), "--output", str(output)])
    statuses = {row["note_id"]: row["status"] for row in read(output, "notes")}
    assert statuses == {"a/123": "annotated", "nurse-7": "annotated", "a/zipped": "annotated",
                        "legacy": "annotated", "corrupt": "error", "scan": "error", "blank": "skipped"}
    errors = {row["note_id"]: row for row in read(output, "errors")}
    assert set(errors) == {"corrupt", "scan", "blank"}
    assert all(row["stage"] == "read" and row["message"] for row in errors.values())
    meds = {e["text"].lower() for e in read(output, "entities") if e["label"] == "medication"}
    assert {"lasix", "metformin", "vanco", "tylenol"} <= meds
    assert summary["notes_read"] == 7


def test_rerun_replaces_instead_of_duplicating(notes_dir, tmp_path):
    output = tmp_path / "out"
    args = ["--runner=DirectRunner", "--input", str(notes_dir / "a"), "--output", str(output)]
    run(args + ["--num_shards=2"])
    first = len(read(output, "entities"))
    run(args)
    assert len(read(output, "entities")) == first


def test_multiprocessing_direct_runner_gives_identical_rows(notes_dir, tmp_path):
    def rows(output):
        return sorted((e["note_id"], e["entity_id"], e["label"], e["start"], e["end"])
                      for e in read(output, "entities"))

    base = ["--input", str(notes_dir), "--run_id=fixed", "--model=rules"]
    run(base + ["--runner=DirectRunner", "--output", str(tmp_path / "one")])
    run(base + ["--runner=DirectRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing",
                "--output", str(tmp_path / "two")])
    assert rows(tmp_path / "one") == rows(tmp_path / "two")


class _Exploding:
    """An annotator that fails with the note text in its exception message, as careless code might."""

    name, version = "exploding", "0"

    def predict(self, text):
        raise ValueError(f"cannot parse {text!r}")

    def to_dict(self):
        return {"type": "exploding"}


def test_annotation_failures_are_recorded_without_note_text(tmp_path):
    register("exploding", lambda config: _Exploding())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "n1.txt").write_text(NURSING_NOTE, encoding="utf-8")
    output = tmp_path / "out"
    with in_process_pipeline() as pipeline:
        build(pipeline, str(tmp_path / "in"), str(output), "exploding", "run-x", ReadConfig())
    (error,) = read(output, "errors")
    assert error["note_id"] == "n1" and error["stage"] == "annotate" and error["error_type"] == "ValueError"
    assert "lasix" not in error["message"].lower() and "NSG" not in error["message"]
    (note,) = read(output, "notes")
    assert note["status"] == "error"
    assert read(output, "entities") == []


def test_cli_reports_and_fails_when_nothing_can_be_read(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pipelines.annotate", "--runner=DirectRunner", "--input",
                           str(tmp_path / "missing"), "--output", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "0 read" in done.stdout and "1 inputs unreadable" in done.stdout
    (error,) = read(tmp_path / "out", "errors")
    assert error["error_type"] == "InputNotFound" and error["note_id"] is None


def test_cli_help_lists_the_job_options():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pipelines.annotate", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "--input" in done.stdout and "--output" in done.stdout


def test_every_format_reads_the_same_on_both_direct_runner_modes(mixed_dir, tmp_path):
    base = ["--input", str(mixed_dir), "--run_id=fixed", "--runner=DirectRunner", "--model=rules"]
    run(base + ["--output", str(tmp_path / "one")])
    run(base + ["--direct_num_workers=2", "--direct_running_mode=multi_processing", "--output", str(tmp_path / "two")])
    for name in ("entities", "relations", "notes", "errors"):
        one = sorted(map(repr, (sorted(r.items()) for r in read(tmp_path / "one", name))))
        two = sorted(map(repr, (sorted(r.items()) for r in read(tmp_path / "two", name))))
        assert one == two, name
    annotated = {r["note_id"] for r in read(tmp_path / "one", "notes") if r["status"] == "annotated"}
    assert annotated == MIXED_NOTE_IDS
