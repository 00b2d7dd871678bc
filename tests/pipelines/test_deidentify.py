"""De-identification in the pipelines: offsets into the original, no PHI in any output, surrogates keep shape."""

from pathlib import Path

import pyarrow.dataset as ds
import pytest

from pipelines.annotate import run as annotate
from pipelines.deidentify import run as deidentify
from transforms import schemas

NOTE = ("Seen by Dr. Helen Ashworth on 03/14/2026. Call 617-555-0102 or email h.ashworth@example.org.\n"
        "Lasix 40 mg PO daily; MRN 00482913.\n")
PHI_STRINGS = ("Ashworth", "03/14/2026", "617-555-0102", "h.ashworth@example.org", "00482913")


def read(output: Path, name: str) -> list[dict]:
    return ds.dataset(output / name, format="parquet").to_table().to_pylist()


@pytest.fixture()
def note_dir(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "clinic-1.txt").write_text(NOTE, encoding="utf-8")
    return tmp_path / "in"


def test_deidentify_writes_text_without_phi_and_offsets_into_the_original(note_dir, tmp_path):
    output = tmp_path / "out"
    summary = deidentify(["--runner=DirectRunner", "--input", str(note_dir), "--output", str(output)])
    assert summary["notes_by_status"] == {"deidentified": 1}
    (row,) = read(output, "notes")
    assert row["note_id"] == "clinic-1" and row["status"] == "deidentified"
    for phi in PHI_STRINGS:
        assert phi not in row["text"]
    assert "Lasix 40 mg PO daily" in row["text"]  # clinical content survives
    spans = read(output, "phi")
    assert ds.dataset(output / "phi", format="parquet").schema.names == schemas.PHI.names  # no text column
    covered = {NOTE[s["start"] : s["end"]] for s in spans}
    assert {"03/14/2026", "617-555-0102", "h.ashworth@example.org", "00482913"} <= covered


def test_surrogates_need_the_salt_and_keep_the_note_readable(note_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("EHRBEAM_TEST_SALT", "not-a-real-secret")
    output = tmp_path / "out"
    deidentify(["--runner=DirectRunner", "--input", str(note_dir), "--output", str(output), "--deid_mode=surrogate",
                "--deid_salt_env=EHRBEAM_TEST_SALT"])
    (row,) = read(output, "notes")
    assert "[**" not in row["text"] and "Lasix 40 mg PO daily" in row["text"]
    for phi in PHI_STRINGS:
        assert phi not in row["text"]


def test_annotate_deidentifies_first_and_writes_original_offsets_without_phi(note_dir, tmp_path):
    output = tmp_path / "out"
    annotate(["--runner=DirectRunner", "--input", str(note_dir), "--output", str(output)])
    entities = read(output, "entities")
    assert {e["text"] for e in entities if e["label"] == "medication"} == {"Lasix"}
    for entity in entities:
        assert NOTE[entity["start"] : entity["end"]] == entity["text"]
        assert not any(phi in entity["text"] for phi in PHI_STRINGS)
    for name in ("notes", "errors", "relations"):
        dumped = repr(read(output, name))
        assert not any(phi in dumped for phi in PHI_STRINGS), name


def test_run_manifest_records_counts_and_components_without_text(note_dir, tmp_path):
    import json

    output = tmp_path / "out"
    summary = annotate(["--runner=DirectRunner", "--input", str(note_dir), "--output", str(output), "--run_id=m1"])
    manifest = json.loads((output / "runs" / "m1.json").read_text())
    assert manifest["job"] == "annotate" and manifest["notes_read"] == summary["notes_read"] == 1
    assert manifest["entities_by_label"] == summary["entities_by_label"]
    assert manifest["components"]["deid"]["mode"] == "mask" and len(manifest["components"]["deid"]["config_sha256"]) == 64
    dumped = json.dumps(manifest)
    assert not any(phi in dumped for phi in PHI_STRINGS) and "Lasix" not in dumped
