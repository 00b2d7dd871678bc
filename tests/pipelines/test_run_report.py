"""A run's manifest, HTML report and OMOP NOTE_NLP output, on notes carrying known (fictional) PHI."""

import json

import pyarrow.dataset as ds
import pytest

from pipelines.options import DEFAULT_MODEL
from pipelines.annotate import run
from transforms import schemas
from transforms.omop import omop_note_id

NOTE = ("Patient: Rosalind Pembrook    MRN: 7720418    DOB: 02/11/1951    Phone: (617) 555-0183\n"
        "Seen by Dr. Tobias Kettleworth on 03/04/2026.\n"
        "Lasix 40 mg PO daily for edema. Metformin 500 mg twice a day.\n")
PHI = ("Rosalind", "Pembrook", "7720418", "02/11/1951", "555-0183", "Tobias", "Kettleworth", "03/04/2026")


@pytest.fixture(scope="module")
def omop_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    (root / "notes").mkdir()
    (root / "notes" / "42.txt").write_text(NOTE, encoding="utf-8")
    (root / "notes" / "ward-b.txt").write_text("Started vanco 1 gm IV q12h.\n" + NOTE, encoding="utf-8")
    output = root / "out"
    summary = run(["--runner=DirectRunner", "--input", str(root / "notes"), "--output", str(output), "--omop",
                   "--run_date=2026-03-05", "--run_id=report-run"])
    return output, summary


def test_html_report_shows_deidentified_notes_and_no_phi(omop_run):
    output, summary = omop_run
    page = (output / "runs" / "report-run.html").read_text(encoding="utf-8")
    assert "<h2>Top medications</h2>" in page and "lasix" in page and "<mark" in page
    assert "[**" in page  # the notes are shown de-identified, masks and all
    for phi in PHI:
        assert phi not in page, phi


def test_manifest_counts_and_timings(omop_run):
    output, summary = omop_run
    manifest = json.loads((output / "runs" / "report-run.json").read_text())
    assert manifest["notes_in"] == 2 and manifest["notes_out"] == 2 and manifest["notes_skipped"] == 0
    assert manifest["model"]["name"] == DEFAULT_MODEL and manifest["model"]["version"]
    assert {"plan", "pipeline", "commit"} <= set(manifest["stage_seconds"])
    assert manifest["run_date"] == "2026-03-05" and manifest["options"]["omop"] is True
    assert not (output / "_staging").exists()


def test_note_nlp_follows_omop_cdm_54(omop_run):
    output, _ = omop_run
    table = ds.dataset(output / "note_nlp", format="parquet").to_table()
    assert table.schema.names == schemas.NOTE_NLP.names
    rows = table.to_pylist()
    entities = ds.dataset(output / "entities", format="parquet").to_table().to_pylist()
    assert len(rows) == len(entities) > 0
    texts = {"42": NOTE, "ward-b": "Started vanco 1 gm IV q12h.\n" + NOTE}
    assert {r["note_id"] for r in rows} == {42, omop_note_id("ward-b")}
    assert len({r["note_nlp_id"] for r in rows}) == len(rows)
    for row in rows:
        source = texts[row["note_id_source"]]
        assert row["lexical_variant"] == source[row["offset_start"]:row["offset_end"]]
        assert row["offset"] == str(row["offset_start"]) and row["term_exists"] == "Y"
        assert row["term_modifiers"].startswith(f"label={row['label']}")
        assert not any(phi in row["snippet"] for phi in PHI), row["snippet"]
    lasix = next(r for r in rows if r["lexical_variant"] == "Lasix")
    assert "dosage=40 mg" in lasix["term_modifiers"]


def test_omop_note_ids_are_stable_integers():
    assert omop_note_id("42") == 42
    assert omop_note_id("ward-b") == omop_note_id("ward-b") != omop_note_id("ward-c")
    assert 0 <= omop_note_id("a/123") < 2**63
    assert omop_note_id("99999999999999999999") < 2**63  # too big for int64: hashed
