"""Training from a corpus directory the tests write, capping for release, and the shipped embeddings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ehr_models.embeddings import corpus
from ehr_models.embeddings.intrinsic import BRAND_GENERIC, score_misspellings, score_pairs
from ehr_models.embeddings.release import cap_vocabulary, shipped_vectors_dir
from ehr_models.embeddings.training import TrainingOptions, local_corpus_file, train_vectors
from ehr_models.embeddings.vectors import has_subwords, load_vectors, read_manifest
from ehr_models.text import NORMALIZATION_VERSION
from tests.conftest import SHARED_DATA, requires_shared_data

NOTES = {
    "n1": "Lasix 40 mg IV bid for edema. Metoprolol 25 mg PO bid for hypertension.\nHeparin 5000 units SC q8h.",
    "n2": "Furosemide 20 mg PO daily; Lopressor 50 mg PO bid. Insulin sliding scale SC qid.",
    "n3": "Continue metformin 1000 mg twice a day and aspirin 81 mg daily.\nTylenol 650 mg PO q6h prn fever.",
}
FAST = dict(dimensions=12, epochs=1, workers=1, bucket=500)


def write_corpus(directory: Path, shards: int = 2, extra_counts: dict[str, int] | None = None) -> Counter:
    """A corpus directory as the Beam stage writes it: notes spread over ``shards`` files, counts, manifest."""
    directory.mkdir(parents=True)
    counts, stats, handles = Counter(), [0] * len(corpus.STAT_FIELDS), []
    names = [f"{corpus.SHARD_PREFIX}-{i}.txt" for i in range(shards)]
    handles = [open(directory / name, "w", encoding="utf-8") for name in names]
    for i, (note_id, text) in enumerate(sorted(NOTES.items()) * 20):
        lines, note_counts, note_stats = corpus.note_corpus(f"{note_id}-{i}", text)
        handles[i % shards].write("".join(line + "\n" for line in lines))
        counts.update(note_counts)
        stats = [a + b for a, b in zip(stats, note_stats)]
    for handle in handles:
        handle.close()
    written = counts + Counter(extra_counts or {})
    (directory / "counts.tsv").write_text("".join(f"{w}\t{c}\n" for w, c in written.items()), encoding="utf-8")
    manifest = corpus.corpus_manifest(tuple(stats), names, ["counts.tsv"], len(written), {})
    (directory / corpus.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return written


@pytest.mark.parametrize("algorithm", ["word2vec", "fasttext"])
def test_vocabulary_comes_from_the_counts_not_a_pass_over_the_text(tmp_path, algorithm):
    # A token only the counts know proves training never rescans the shards for its vocabulary.
    counts = write_corpus(tmp_path / "corpus", extra_counts={"counted-only": 40})
    options = TrainingOptions(algorithm=algorithm, min_count=21, **FAST)
    vectors, record = train_vectors(str(tmp_path / "corpus"), options)
    assert set(vectors.index_to_key) == {w for w, c in counts.items() if c >= 21}
    assert "counted-only" in vectors.key_to_index and "edema" not in vectors.key_to_index  # edema: 20 times
    assert vectors.get_vecattr("mg", "count") == counts["mg"]
    assert has_subwords(vectors) == (algorithm == "fasttext")
    assert record["vocabulary"] == len(vectors.index_to_key) and record["training"] == options.to_dict()
    assert record["corpus"]["tokens"] == sum(counts.values()) - 40


def test_shards_are_joined_into_one_training_file(tmp_path):
    write_corpus(tmp_path / "corpus", shards=3)
    shards = sorted(p.name for p in (tmp_path / "corpus").glob("sentences-*"))
    joined = local_corpus_file(str(tmp_path / "corpus"), shards, str(tmp_path))
    expected = b"".join((tmp_path / "corpus" / name).read_bytes() for name in shards)
    assert Path(joined).read_bytes() == expected
    single = local_corpus_file(str(tmp_path / "corpus"), shards[:1], str(tmp_path))
    assert single == str(tmp_path / "corpus" / shards[0])  # one local shard is read in place


def test_training_options_round_trip_and_refuse_unknown_algorithms():
    options = TrainingOptions(algorithm="word2vec", architecture="cbow", dimensions=50, seed=7)
    assert TrainingOptions.from_dict(options.to_dict()) == options
    assert options.gensim_model().sg == 0 and TrainingOptions().gensim_model().sg == 1
    with pytest.raises(ValueError, match="algorithm"):
        TrainingOptions(algorithm="glove")


def test_capping_keeps_the_most_frequent_words_and_every_subword_bucket(tmp_path):
    counts = write_corpus(tmp_path / "corpus")
    vectors, _ = train_vectors(str(tmp_path / "corpus"), TrainingOptions(min_count=1, **FAST))
    capped = cap_vocabulary(vectors, max_vocab=10, min_count=21, exclude={"mg"})
    frequent = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= 21 and w != "mg"]
    assert capped.index_to_key == frequent[:10]
    for word in capped.index_to_key:
        assert np.array_equal(capped[word], vectors[word])
        assert capped.get_vecattr(word, "count") == counts[word]
    assert np.array_equal(capped.vectors_ngrams, vectors.vectors_ngrams)
    assert "mg" not in capped.key_to_index and capped.get_vector("mg").any()  # excluded, still has subwords


SHIPPED = shipped_vectors_dir()


@pytest.mark.skipif(not (SHIPPED / "manifest.json").exists(), reason="shipped embeddings not built")
def test_shipped_embeddings_are_small_fp16_and_current():
    manifest = read_manifest(SHIPPED)
    assert manifest["dtype"] == "float16" and manifest["normalization_version"] == NORMALIZATION_VERSION
    assert sum(p.stat().st_size for p in SHIPPED.iterdir()) < 15_000_000
    vectors = load_vectors(SHIPPED)
    assert has_subwords(vectors) and len(vectors.index_to_key) == manifest["vocab_size"]
    assert manifest["record"]["release"]["shipped_vocabulary"] == manifest["vocab_size"]
    # Measured at release: misspellings 0.81, brand/generic pairs within 10 nearest 0.12 (random vectors: ~0).
    assert score_misspellings(vectors)["recovered@5"] > 0.6
    assert score_pairs(vectors, BRAND_GENERIC)["hits@10"] > 0.05


@requires_shared_data("deid-physionet", "dev")
@pytest.mark.skipif(not (SHIPPED / "manifest.json").exists(), reason="shipped embeddings not built")
def test_shipped_vocabulary_holds_no_gold_phi_word():
    from ehr_models.embeddings.privacy import phi_vocabulary

    leaked = set(load_vectors(SHIPPED).key_to_index) & phi_vocabulary(SHARED_DATA)
    assert len(leaked) == 0  # a count only: never the words
