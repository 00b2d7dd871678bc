"""Real (tiny) training runs: the tagger learns drug names and doses from template sentences, including drug names
it never saw, and survives a save/load round trip, transfer, and the annotator seam."""

from __future__ import annotations

import random

import pytest

torch = pytest.importorskip("torch")

from ehr_models.annotation import Annotator  # noqa: E402
from ehr_models.formats.examples import Example  # noqa: E402
from ehr_models.package import load_package  # noqa: E402
from ehr_models.tagging.annotator import TaggerAnnotator  # noqa: E402
from ehr_models.tagging.model import TaggerConfig  # noqa: E402
from ehr_models.tagging.predictor import Tagger  # noqa: E402
from ehr_models.tagging.scheme import decode, encode, tag_set  # noqa: E402
from ehr_models.tagging.training import Checkpoints, TrainingConfig, build_tagger, fit, score_examples  # noqa: E402
from ehr_models.tagging.transfer import init_from  # noqa: E402

TRAIN_DRUGS = "lasix aspirin metoprolol heparin morphine tylenol coumadin insulin vancomycin lisinopril zosyn".split()
NEW_DRUGS = "ceftriaxone amiodarone digoxin keppra".split()
TEMPLATES = ["Patient was started on {d} {n} mg {f} .", "Continue {d} {n} mg po {f} for pain .",
             "She takes {d} {n} mg at home .", "Gave {d} {n} mg iv now , tolerated well .",
             "No changes to {d} today .", "Blood pressure stable , will hold {d} tonight ."]
FILLER = ["Vital signs stable .", "Plan discussed with family .", "Ambulating in hallway ."]
SMALL = dict(word_dim=16, char_dim=16, char_filters=16, hidden=32)
FAST = dict(epochs=10, patience=10, batch_size=8, learning_rate=0.01, word_dropout=0.2, seed=1)


def make_examples(count: int, drugs: list[str], seed: int) -> list[Example]:
    """Template sentences with ``medication`` and ``dosage`` spans (one in five is a sentence with none)."""
    rng = random.Random(seed)
    examples = []
    for i in range(count):
        if rng.random() < 0.2:
            examples.append(Example(f"s{i}", tuple(rng.choice(FILLER).split())))
            continue
        words = rng.choice(TEMPLATES).format(d="{d}", n=rng.choice(["5", "20", "40", "81", "500"]),
                                             f=rng.choice(["daily", "bid", "q6h"])).split()
        at = words.index("{d}")
        words[at] = rng.choice(drugs)
        spans = [(at, at + 1, "medication")]
        if "mg" in words:
            spans.append((words.index("mg") - 1, words.index("mg") + 1, "dosage"))
        examples.append(Example(f"s{i}", tuple(words), tuple(sorted(spans))))
    return examples


@pytest.fixture(scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a busy 2-core CI box: two spinning threads are slower than one
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(one_thread) -> tuple[Tagger, list[Example]]:
    train = make_examples(80, TRAIN_DRUGS, 1)
    tagger = build_tagger(train, TaggerConfig(**SMALL), seed=1)
    fit(tagger, train, make_examples(30, TRAIN_DRUGS, 2), TrainingConfig(**FAST))
    return tagger, train


def test_tag_schemes_round_trip():
    spans = [(0, 1, "drug"), (2, 5, "dose"), (5, 6, "drug")]
    for scheme in ("BIO", "BIOES"):
        tags = encode(7, spans, scheme)
        assert decode(tags) == spans
        assert set(tags) <= set(tag_set(["drug", "dose"], scheme))
    assert encode(4, [(1, 3, "drug")], "BIOES") == ["O", "B-drug", "E-drug", "O"]
    assert decode(["I-drug", "I-drug", "O", "B-dose", "I-drug"]) == [(0, 2, "drug"), (3, 4, "dose"), (4, 5, "drug")]
    with pytest.raises(ValueError):
        encode(3, [(0, 2, "drug"), (1, 3, "dose")])


def test_learns_drug_names_it_never_saw(trained):
    tagger, _ = trained
    unseen = make_examples(40, NEW_DRUGS, 3)
    scores = score_examples(tagger, unseen)
    assert scores.by_label["medication"].f1 >= 0.85, scores.to_dict()
    assert scores.by_label["dosage"].f1 >= 0.95, scores.to_dict()
    # A cold model (same seed, no training) finds nothing useful: the figure above is learned.
    cold = build_tagger(make_examples(80, TRAIN_DRUGS, 1), TaggerConfig(**SMALL), seed=1)
    assert score_examples(cold, unseen).micro.f1 < 0.5


def test_package_round_trip_gives_identical_predictions(trained, tmp_path):
    tagger, _ = trained
    directory = tagger.save(tmp_path / "model", {"fingerprint": "sha256:x"}, {"dev": {"f1": 1.0}})
    package = load_package(directory)
    assert package.kind == "tagger" and package.training["fingerprint"] == "sha256:x"
    assert package.labels["labels"] == ["dosage", "medication"] and package.metrics["dev"]["f1"] == 1.0
    loaded = Tagger.load(directory)
    sentences = [e.tokens for e in make_examples(40, TRAIN_DRUGS + NEW_DRUGS, 4)]
    assert loaded.predict_batch(sentences) == tagger.predict_batch(sentences)
    assert loaded.predict_scored(sentences) == tagger.predict_scored(sentences)


def test_annotator_maps_token_spans_to_character_offsets(trained, tmp_path):
    tagger, _ = trained
    tagger.save(tmp_path / "model")
    annotator = TaggerAnnotator(str(tmp_path / "model"))
    assert isinstance(annotator, Annotator)
    text = "Vital signs stable.\nPatient was started on  heparin 5000mg daily. Continue lasix 40 mg po bid for pain."
    entities = annotator.predict(text).entities
    found = {(text[e.start:e.end], e.label) for e in entities}
    assert ("heparin", "medication") in found and ("lasix", "medication") in found
    assert ("40 mg", "dosage") in found
    assert all(0 < e.score <= 1 for e in entities)
    assert annotator.predict_batch([text, "", text]) == [annotator.predict(text), annotator.predict(""),
                                                         annotator.predict(text)]
    assert TaggerAnnotator.from_dict(annotator.to_dict()).predict(text) == annotator.predict(text)


def test_transfer_copies_rows_by_meaning_and_remaps_labels(trained):
    source, train = trained
    renamed = [Example(e.id, e.tokens, tuple((s, t, "drug" if label == "medication" else label)
                                             for s, t, label in e.spans)) for e in train]
    target = build_tagger(renamed[:10], TaggerConfig(**SMALL), labels=["drug", "dosage", "route"], seed=2)
    copied = init_from(target, source, {"medication": "drug"})
    assert copied["tags"] == len(tag_set(["drug", "dosage"]))  # O, and B/I/E/S of the two shared labels
    row = target.tags.index("S-drug")
    assert torch.equal(target.model.output.weight[row], source.model.output.weight[source.tags.index("S-medication")])
    word = target.words.index("lasix")
    assert torch.equal(target.model.words.weight[word], source.model.words.weight[source.words.index("lasix")])
    unseen = make_examples(40, NEW_DRUGS, 3)
    spans = target.predict_batch([e.tokens for e in unseen])
    assert sum(label == "drug" for sentence in spans for _, _, label in sentence) >= 25  # works before any training


def test_softmax_head_and_checkpoints(one_thread, tmp_path):
    train, dev = make_examples(80, TRAIN_DRUGS, 1), make_examples(30, TRAIN_DRUGS, 2)
    tagger = build_tagger(train, TaggerConfig(head="softmax", scheme="BIO", **SMALL), seed=3)
    checkpoints = Checkpoints(tmp_path / "ck", {"fingerprint": "x"})
    result = fit(tagger, train, dev, TrainingConfig(**FAST), checkpoints)
    assert result.best_f1 >= 0.8 and len(result.history) == result.epochs
    best = Tagger.load(tmp_path / "ck" / "best")
    assert best.predict_batch([e.tokens for e in dev]) == tagger.predict_batch([e.tokens for e in dev])
    # Resuming after the last epoch has nothing left to do and keeps the best weights.
    again = build_tagger(train, TaggerConfig(head="softmax", scheme="BIO", **SMALL), seed=3)
    resumed = fit(again, train, dev, TrainingConfig(**FAST), checkpoints, resume=True)
    assert resumed.epochs == result.epochs
    assert again.predict_batch([e.tokens for e in dev]) == tagger.predict_batch([e.tokens for e in dev])


def test_drug_lexicon_feature_tags_matches_and_feeds_the_network(one_thread):
    from ehr_models.rules.lexicon import DrugLexicon
    from ehr_models.tagging.batching import Encoder
    from ehr_models.tagging.features import DrugLexiconFeature

    feature = DrugLexiconFeature(DrugLexicon(use_dictionary=False))  # the clinical shorthand only: no 5 s load
    assert feature(["Started", "vanco", "and", "normal", "saline", "."]) == [1, 2, 1, 2, 3, 1]
    train = make_examples(20, TRAIN_DRUGS, 1)
    tagger = build_tagger(train, TaggerConfig(features=["drug_lexicon"], **SMALL), seed=1)
    tagger.encoder = Encoder(tagger.words, tagger.chars, features=[feature])
    batch = tagger.encoder.batch([e.tokens for e in train], [0, 1])
    assert batch.features.shape == (*batch.words.shape, 1)
    assert tagger.model.features[0].weight.shape == (4, tagger.config.feature_dim)
    assert len(tagger.predict_batch([("vanco", "1", "g", "iv")])) == 1


def test_rule_labels_feature_marks_the_rules_entities_by_label():
    from ehr_models.rules import RuleAnnotator
    from ehr_models.rules.lexicon import DrugLexicon
    from ehr_models.tagging.features import RuleLabelsFeature

    feature = RuleLabelsFeature(RuleAnnotator(lexicon=DrugLexicon(use_dictionary=False)))
    tokens = ["Started", "vanco", "1", "g", "iv", "q12h", "for", "pneumonia", "."]
    tags = [feature.values[i] for i in feature(tokens)]
    assert tags[:6] == ["O", "B-medication", "B-dosage", "I-dosage", "B-route", "B-frequency"]
    assert tags[-1] == "O" and len(tags) == len(tokens)
    assert feature(["No", "drugs", "here", "."]) == [1, 1, 1, 1]
