"""The learned PHI recognizer: a small tagger trained here, its threshold, its place in the engine configuration,
and the packaged model's size and vocabulary privacy (names and notes invented unless read from the shared data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ehr_models.deid import DeidConfig, DeidEngine
from ehr_models.deid.engine import RULE_RECOGNIZERS
from ehr_models.deid.tagger import PACKAGED, PhiTagger, packaged_available
from ehr_models.deid.tagger_training import phi_tokens, safe_vectors, training_notes
from ehr_models.formats.examples import Example
from ehr_models.tagging.model import TaggerConfig
from ehr_models.tagging.training import TrainingConfig, build_tagger, fit
from ehr_models.text import tokenize
from tests.conftest import SHARED_DATA, requires_shared_data

NAMES = ["Zelda", "Orrin", "Margit", "Tobiah", "Quilla", "Bertram", "Ysolde", "Casimir"]


def _examples() -> list[Example]:
    examples = []
    for i, name in enumerate(NAMES * 4):
        tokens = ("wife", name, "at", "bedside", ",", "lasix", "given", "at", "noon")
        examples.append(Example(f"s{i}", tokens, ((1, 2, "NAME"),)))
        examples.append(Example(f"c{i}", ("lasix", "40", "mg", "iv", "given", ",", "pain", "free"), ()))
    return examples


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    train = _examples()
    tagger = build_tagger(train, TaggerConfig(word_dim=8, char_dim=8, char_filters=8, hidden=16), seed=3)
    fit(tagger, train, config=TrainingConfig(epochs=15, batch_size=8, learning_rate=0.02, seed=3, threads=1))
    return tagger.save(tmp_path_factory.mktemp("deid-tagger") / "model")


def test_tagger_recognizer_finds_a_name_it_never_saw_and_keeps_drugs(small_model):
    text = "wife Marisolde at bedside, lasix given at noon"
    engine = DeidEngine(DeidConfig(recognizers=[{"type": "tagger", "model": str(small_model), "threshold": 0.5}]))
    found = {text[s.start : s.end]: s.label for s in engine.find(text)}
    assert found.get("Marisolde") == "NAME"
    assert "lasix" not in " ".join(found)


def test_lower_threshold_removes_a_superset(small_model):
    text = "wife Ottoline at bedside. Orrin seen, lasix 40 mg iv given, pain free\n"
    tokens = tokenize(text)

    def chars(threshold: float) -> set[int]:
        spans = PhiTagger(str(small_model), threshold=threshold, gate="all").predict_spans(text, tokens)
        return {i for start, end, _ in spans for i in range(start, end)}

    strict, loose = chars(0.9), chars(0.05)
    assert strict <= loose and len(loose) > len(strict) > 0
    assert {i for t in tokens for i in range(t.start, t.end)} <= chars(0.0)  # every token passes a zero threshold


def test_tagger_settings_survive_the_engine_configuration(small_model):
    config = DeidConfig(recognizers=[dict(r) for r in RULE_RECOGNIZERS]
                        + [{"type": "tagger", "model": str(small_model), "threshold": 0.25}])
    engine = DeidEngine(config)
    rebuilt = DeidEngine.from_dict(json.loads(json.dumps(engine.to_dict())))
    tagger = rebuilt.recognizers[-1]
    assert tagger.to_dict()["threshold"] == 0.25 and tagger.to_dict()["model"] == str(small_model)
    text = "wife Zelda at bedside, lasix given at noon"
    assert rebuilt.find(text) == engine.find(text)


def test_find_batch_gives_the_spans_of_find(small_model):
    config = DeidConfig(recognizers=[dict(r) for r in RULE_RECOGNIZERS]
                        + [{"type": "tagger", "model": str(small_model), "threshold": 0.3, "gate": "all"}])
    engine = DeidEngine(config)
    texts = ["wife Zelda at bedside, lasix given at noon", "", "Orrin seen by Dr. Quellmann on 7/22.\nlasix 40 mg iv",
             "wife Marisolde at bedside. pain free"]
    assert engine.find_batch(texts) == [engine.find(text) for text in texts]


@pytest.mark.skipif(not packaged_available(), reason="no packaged de-id tagger")
def test_packaged_tagger_is_small_and_used_by_default():
    size = sum(p.stat().st_size for p in PACKAGED.iterdir() if p.is_file())
    assert size < 8 * 1024 * 1024
    assert any(r["type"] == "tagger" for r in DeidConfig().recognizers)
    assert (PACKAGED.parent / "README.md").exists()


@requires_shared_data("deid-physionet", "dev")
@pytest.mark.skipif(not packaged_available(), reason="no packaged de-id tagger")
def test_no_gold_phi_token_of_the_dev_notes_is_in_the_packaged_vocabulary():
    from ehr_models.deid.evaluate import load_corpus
    from ehr_models.embeddings.privacy import NAME_AND_PLACE_LABELS, phi_vocabulary

    words = set(json.loads((PACKAGED / "vocab.json").read_text(encoding="utf-8"))["words"])
    dev = training_notes(load_corpus(SHARED_DATA / "deid-physionet" / "dev"))
    banned = phi_tokens(dev)
    assert len(banned) > 100 and len(words) > 10000
    assert len(words & banned) == 0, "gold PHI tokens of the training notes in the vocabulary"  # a count only
    # Names and places of every patient of the corpus (test side included) that are not ordinary words.
    assert len(words & phi_vocabulary(SHARED_DATA, NAME_AND_PLACE_LABELS)) == 0


def test_safe_vectors_drop_banned_words():
    from gensim.models import KeyedVectors
    import numpy as np

    vectors = KeyedVectors(4)
    vectors.add_vectors(["lasix", "zorbanek", "bedside"], np.ones((3, 4), dtype=np.float32))
    kept = safe_vectors(vectors, {"zorbanek"})
    assert kept.index_to_key == ["lasix", "bedside"]


def test_per_label_thresholds_and_plain_words_are_left_to_the_rules(small_model):
    from ehr_models.deid.vocabulary import ClinicalVocabulary

    text = "wife Zelda at bedside, lasix given at noon"
    tokens = tokenize(text)
    assert PhiTagger(str(small_model), threshold=0.5, gate="all").predict_spans(text, tokens)
    assert not PhiTagger(str(small_model), threshold=0.5, thresholds={"NAME": 1.01},
                         gate="all").predict_spans(text, tokens)
    plain = "wife Frank at bedside, lasix given at noon"  # "frank" is plain vocabulary: the rules' call
    with_vocabulary = PhiTagger(str(small_model), threshold=0.0, gate="all", vocabulary=ClinicalVocabulary())
    assert "Frank" not in [plain[s:e] for s, e, _ in with_vocabulary.predict_spans(plain, tokenize(plain))]


def test_window_gate_reads_only_around_unknown_words(small_model):
    text = ("lasix 40 mg iv given , pain free , lasix 40 mg iv given , pain free , lasix given at noon , "
            "wife Marisolde at bedside , lasix 40 mg iv given , pain free , lasix 40 mg iv given")
    tokens = tokenize(text)
    window = PhiTagger(str(small_model), gate="window", window=2)
    sentence = PhiTagger(str(small_model), gate="unknown")
    ranges = window._ranges(text, tokens)
    assert len(ranges) == 1 and ranges[0][1] - ranges[0][0] == 5
    assert sum(e - b for b, e in sentence._ranges(text, tokens)) > 20
    found = [text[s:e] for s, e, _ in window.predict_spans(text, tokens)]
    assert found == ["Marisolde"]


def test_number_ranges_are_no_dates_of_the_tagger():
    text = "RR 12-20 on 7/22"
    tokens = tokenize(text)
    tagger = PhiTagger(None)
    scores = [[(1.0 if t.text not in ("RR", "on") else 0.0, "DATE") for t in tokens]]
    spans = tagger._spans(text, tokens, [(0, len(tokens))], scores)
    assert [text[s:e] for s, e, _ in spans] == ["7/22"]
