"""The pretraining corpus format and the vectors directory (``ehr_models.embeddings``), on texts and files the
tests write."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from gensim.models import FastText, Word2Vec

from ehr_models.embeddings import corpus
from ehr_models.embeddings.vectors import MANIFEST, embedding_matrix, load_vectors, save_vectors
from ehr_models.text import normalize_token, segments, tokenize
from tests.conftest import CLINIC_NOTE, NURSING_NOTE

SENTENCES = [s.split() for s in (
    "lasix 00 mg po daily for edema", "furosemide 00 mg iv bid for edema", "metoprolol 00 mg po bid for hypertension",
    "lopressor 00 mg po bid for hypertension", "heparin 0000 units sc q0h", "insulin sliding scale sc qid",
) * 20]


def test_sentences_are_the_taggers_tokens_normalized():
    sentences = list(corpus.note_sentences(NURSING_NOTE))
    expected = [[normalize_token(t.text) for t in tokenize(NURSING_NOTE[a:b])] for a, b in segments(NURSING_NOTE)]
    assert sentences == [s for s in expected if s]
    flat = [token for sentence in sentences for token in sentence]
    assert "lasix" in flat and "00" in flat and "mg" in flat  # "40mg" -> "00", "mg"
    assert not any(ch.isdigit() and ch != "0" for token in flat for ch in token)
    assert all(token == token.lower() and " " not in token for token in flat)


def test_note_corpus_lines_counts_and_stats_agree():
    lines, counts, stats = corpus.note_corpus("a/123", NURSING_NOTE)
    stats = dict(zip(corpus.STAT_FIELDS, stats))
    assert counts == Counter(token for line in lines for token in line.split(" "))
    assert stats["notes"] == 1 and stats["sentences"] == len(lines) > 1
    assert stats["tokens"] == sum(counts.values()) and stats["characters"] == len(NURSING_NOTE)


def test_fingerprint_ignores_order_and_sees_any_change():
    a, b = corpus.note_digest("a", NURSING_NOTE), corpus.note_digest("b", CLINIC_NOTE)
    assert corpus.fingerprint(a + b) == corpus.fingerprint(b + a)
    assert corpus.fingerprint(a + b) != corpus.fingerprint(a + corpus.note_digest("b", CLINIC_NOTE + " "))
    assert corpus.fingerprint(a + b) != corpus.fingerprint(a + corpus.note_digest("c", CLINIC_NOTE))


def test_counts_files_are_summed_and_manifest_checks_normalization(tmp_path):
    (tmp_path / "a.tsv").write_text("lasix\t3\nmg\t5\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text("lasix\t2\n", encoding="utf-8")
    assert corpus.read_counts([str(tmp_path / "a.tsv"), str(tmp_path / "b.tsv")]) == {"lasix": 5, "mg": 5}
    manifest = corpus.corpus_manifest((1, 2, 10, 40, 7), ["s-1.txt", "s-0.txt"], ["c.tsv"], 2, {"k": 1})
    assert manifest["shards"] == ["s-0.txt", "s-1.txt"] and manifest["tokens"] == 10
    assert manifest["input_fingerprint"] == corpus.fingerprint(7)
    (tmp_path / corpus.MANIFEST).write_text(json.dumps(dict(manifest, normalization_version="0")))
    with pytest.raises(ValueError, match="normalization"):
        corpus.read_corpus_manifest(str(tmp_path))


@pytest.fixture(scope="module")
def fasttext_vectors():
    return FastText(SENTENCES, vector_size=16, min_count=1, epochs=2, workers=1, seed=3, bucket=2000).wv


@pytest.fixture(scope="module")
def word2vec_vectors():
    return Word2Vec(SENTENCES, vector_size=16, min_count=1, epochs=2, workers=1, seed=3).wv


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_vectors_directory_round_trip(tmp_path, fasttext_vectors, word2vec_vectors, dtype):
    for name, original in (("ft", fasttext_vectors), ("w2v", word2vec_vectors)):
        loaded = load_vectors(save_vectors(original, tmp_path / name, {"note": "test"}, dtype))
        assert loaded.index_to_key == original.index_to_key
        assert loaded.vectors.dtype == np.float32
        tolerance = 1e-3 if dtype == "float16" else 0
        assert np.allclose(loaded.vectors, original.vectors, atol=tolerance)
        assert loaded.get_vecattr("lasix", "count") == original.get_vecattr("lasix", "count") == 20
    unseen = "metoprolo"  # subword vectors survive: an unseen misspelling gets the same vector
    assert np.allclose(load_vectors(tmp_path / "ft").get_vector(unseen), fasttext_vectors.get_vector(unseen),
                       atol=1e-3)


def test_loading_refuses_another_normalization(tmp_path, word2vec_vectors):
    directory = save_vectors(word2vec_vectors, tmp_path / "v")
    manifest = json.loads((directory / MANIFEST).read_text())
    (directory / MANIFEST).write_text(json.dumps(dict(manifest, normalization_version="0")))
    with pytest.raises(ValueError, match="normalization"):
        load_vectors(directory)


def test_embedding_matrix_rows_follow_the_vocabulary(word2vec_vectors, fasttext_vectors):
    vocabulary = ["<pad>", "<unk>", "furosemide", "lasix", "never-seen", "mg"]
    matrix = embedding_matrix(word2vec_vectors, vocabulary, seed=7, zero={"<pad>"})
    assert matrix.shape == (6, 16) and matrix.dtype == np.float32
    for i, word in enumerate(vocabulary):
        if word in word2vec_vectors.key_to_index:
            assert np.array_equal(matrix[i], word2vec_vectors[word])
    assert not matrix[0].any()
    random_rows = matrix[[1, 4]]
    assert random_rows.any() and np.abs(random_rows).max() < np.abs(word2vec_vectors.vectors).max()
    assert np.array_equal(embedding_matrix(word2vec_vectors, vocabulary, seed=7, zero={"<pad>"}), matrix)
    assert not np.array_equal(embedding_matrix(word2vec_vectors, vocabulary, seed=8)[4], matrix[4])
    subword = embedding_matrix(fasttext_vectors, vocabulary)
    assert np.allclose(subword[4], fasttext_vectors.get_vector("never-seen"))


def test_intrinsic_pair_scores_rank_neighbours():
    from ehr_models.embeddings.intrinsic import misspellings, score_pairs
    from ehr_models.embeddings.vectors import make_vectors

    words = ["lasix", "furosemide", "po", "oral", "bid"]
    matrix = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.9, 0.1], [0, 0, 1]], dtype=np.float32)
    vectors = make_vectors(words, matrix, [5] * 5)
    scores = score_pairs(vectors, [("lasix", "furosemide"), ("po", "oral"), ("bid", "lasix"), ("qd", "daily")])
    assert scores["directions"] == 6 and scores["missing"] == ["qd/daily"]
    assert scores["hits@10"] == 1.0  # five words: every other word is within the 10 nearest
    assert 0.5 < scores["mrr"] < 1.0  # bid and lasix are not each other's nearest
    assert misspellings("metoprolol") == ["metoprolo", "metoprrolol", "metorpolol"]
