"""``python -m pipelines.pretrain`` end to end on DirectRunner, on note files the tests write."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from ehr_models.embeddings.corpus import read_corpus_manifest, read_counts
from ehr_models.embeddings.privacy import NAME_AND_PLACE_LABELS, phi_vocabulary
from ehr_models.embeddings.training import TrainingOptions
from ehr_models.embeddings.vectors import load_vectors, read_manifest
from pipelines.pretrain import run
from tests.conftest import SHARED_DATA, requires_shared_data

FAST = ["--runner=DirectRunner", "--skip_deid", "--min_count=1", "--epochs=1", "--workers=1", "--dimensions=16",
        "--bucket=2000"]


def test_pretrain_accounts_for_every_note_and_trains_on_the_beam_counts(tmp_path, notes_dir):
    output = tmp_path / "out"
    result = run(FAST + ["--input", str(notes_dir), "--output", str(output), "--num_shards=2"])
    notes = ds.dataset(output / "notes", format="parquet").to_table().to_pylist()
    statuses = {row["note_id"]: row["status"] for row in notes}
    assert statuses == {"a/123": "tokenized", "nurse-7": "tokenized", "a/zipped": "tokenized",
                        "legacy": "tokenized", "corrupt": "error", "scan": "error", "blank": "skipped"}
    assert result["notes_by_status"] == {"tokenized": 4, "error": 2, "skipped": 1}
    manifest = read_corpus_manifest(str(output / "corpus"))
    assert manifest == result["corpus"]
    assert manifest["notes"] == 4 and len(manifest["shards"]) == 2
    assert manifest["tokens"] == sum(row["tokens"] for row in notes if row["status"] == "tokenized")
    assert manifest["options"]["deid"].startswith("skipped")

    vectors = load_vectors(output / "vectors")
    assert {"lasix", "vanco", "q00h", "00", "mg"} <= set(vectors.key_to_index)
    assert len(vectors.index_to_key) == manifest["vocab_size"] == result["vocabulary"]
    record = read_manifest(output / "vectors")["record"]
    assert record["training"]["algorithm"] == "fasttext" and record["training"]["dimensions"] == 16
    assert record["corpus"]["input_fingerprint"] == manifest["input_fingerprint"]

    again = run(FAST + ["--output", str(output), "--skip_corpus", "--algorithm=word2vec", "--min_count=2"])
    assert again["corpus"] == manifest
    assert read_manifest(output / "vectors")["kind"] == "word2vec"
    assert 0 < len(load_vectors(output / "vectors").index_to_key) < result["vocabulary"]  # min_count 2 applied


@requires_shared_data("deid-physionet", "dev")
@pytest.mark.xfail(strict=True, reason="issue 4: the default de-identification engine (rules + PHI tagger, no "
                   "site lists) still leaves 2 gold names/places that recur enough (min_count 5) to enter the "
                   "vocabulary, both only in held-out test patients' notes (none left in a dev note, so no dev-side "
                   "error to learn from); 5 before the tagger; remove this mark when it passes")
def test_no_gold_phi_name_or_place_reaches_the_vocabulary(tmp_path):
    output = tmp_path / "out"
    dev = SHARED_DATA / "deid-physionet" / "dev" / "id.text"
    result = run(["--runner=DirectRunner", "--input", str(dev), "--output", str(output), "--skip_training"])
    assert result["corpus"]["notes"] == 1626 and result["corpus"]["options"]["deid"].startswith("ehr_models.deid")
    counts = read_counts([str(output / "corpus" / name) for name in result["corpus"]["counts"]])
    # Training keeps exactly the tokens counted min_count times or more (the pipeline test checks it).
    vocabulary = {word for word, count in counts.items() if count >= TrainingOptions().min_count}
    leaked = vocabulary & phi_vocabulary(SHARED_DATA, NAME_AND_PLACE_LABELS)
    assert len(leaked) == 0, "gold PHI names/places in the vocabulary"  # a count only: never the words
