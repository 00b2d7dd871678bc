"""Relation linkers: the factory, the nearest baseline (shared with the rules annotator), the trained model."""

from __future__ import annotations

import json

import pytest
import torch

from ehr_models.annotation import Entity, Relation
from ehr_models.package import FILES
from ehr_models.relations import NearestLinker, build_linker, default_linker_config
from ehr_models.relations.candidates import WindowSettings, candidate_pairs
from ehr_models.relations.data import LabelledNote, with_entities
from ehr_models.relations.linker import PACKAGED_MODEL
from ehr_models.relations.model import RelationConfig, RelationNet
from ehr_models.relations.predictor import Decoding, ModelLinker, RelationModel, decode
from ehr_models.relations.train import TrainSettings, fit, note_pairs, save
from ehr_models.rules import RuleAnnotator
from ehr_models.tagging.vocab import Vocabulary
from tests.conftest import SHARED_DATA, requires_shared_data


def entities(text: str, marked: list[tuple[str, str]]) -> list[Entity]:
    """Entities for ``(surface, label)`` pairs, each found after the previous one (written in text order)."""
    found, position = [], 0
    for surface, label in marked:
        start = text.index(surface, position)
        found.append(Entity(start, start + len(surface), label))
        position = start + len(surface)
    return found


def linked(text: str, found: list[Entity], relations: list[Relation]) -> set[tuple[str, str]]:
    return {(text[found[r.head].start : found[r.head].end], text[found[r.tail].start : found[r.tail].end])
            for r in relations}


def test_build_linker_round_trips_its_config():
    nearest = build_linker({"type": "nearest", "chain_gap": 15})
    assert isinstance(nearest, NearestLinker) and nearest.chain_gap == 15
    assert build_linker(nearest.to_dict()).to_dict() == nearest.to_dict()
    assert build_linker("nearest").to_dict() == NearestLinker().to_dict()
    model = build_linker({"type": "model", "model": str(PACKAGED_MODEL)})
    assert build_linker(model.to_dict()).to_dict() == model.to_dict()
    with pytest.raises(KeyError):
        build_linker({"type": "psychic"})


def test_default_linker_is_the_packaged_model():
    assert default_linker_config() == {"type": "model", "model": str(PACKAGED_MODEL)}
    assert build_linker({"type": "model"}).to_dict() == build_linker(default_linker_config()).to_dict()


def test_nearest_links_coordinated_drugs_and_chains():
    text = "tylenol 500 mg and motrin prn"
    found = entities(text, [("tylenol", "medication"), ("500 mg", "dosage"), ("motrin", "medication"),
                            ("prn", "frequency")])
    assert linked(text, found, NearestLinker().link(text, found)) == {("tylenol", "500 mg"), ("motrin", "prn")}
    text = "tylenol and motrin prn"
    found = entities(text, [("tylenol", "medication"), ("motrin", "medication"), ("prn", "frequency")])
    assert linked(text, found, NearestLinker().link(text, found)) == {("tylenol", "prn"), ("motrin", "prn")}


def test_nearest_leaves_an_attribute_without_medication_unlinked():
    text = "Lasix 40 mg daily.\n\nGiven 20 mg at noon."
    found = entities(text, [("Lasix", "medication"), ("40 mg", "dosage"), ("daily", "frequency"),
                            ("20 mg", "dosage")])
    assert linked(text, found, NearestLinker().link(text, found)) == {("Lasix", "40 mg"), ("Lasix", "daily")}


# Outputs of the rules annotator before the nearest attachment moved to ehr_models/rules/linking.py (same code
# run on the same texts); the refactor must not change them.
RULES_BEFORE = [
    ("Continue tylenol and motrin prn pain. Lasix 40 mg iv bid, then 20 mg po daily x 7 days.",
     ["tylenol", "motrin", "prn", "pain", "Lasix", "40 mg", "iv", "bid", "20 mg", "po", "daily", "x 7 days"],
     [(0, 2), (0, 3), (1, 2), (1, 3), (4, 5), (4, 6), (4, 7), (4, 8), (4, 9), (4, 10), (4, 11)]),
    ("MEDICATIONS: 1. Metoprolol 25 mg p.o. b.i.d. 2. Aspirin 81 mg daily. 3) IV heparin drip.\n"
     "Allergies: penicillin.",
     ["Metoprolol", "25 mg", "p.o.", "b.i.d.", "Aspirin", "81 mg", "daily", "IV", "heparin", "drip"],
     [(0, 1), (0, 2), (0, 3), (4, 5), (4, 6), (8, 7), (8, 9)]),
    ("pt given morphine 2mg iv q2h prn for pain; kcl 40meq po x1 for K 3.4. Plavix (clopidogrel) 75 mg daily.",
     ["morphine", "2mg", "iv", "q2h prn", "pain", "kcl", "40meq", "po", "x1", "K 3.4", "Plavix", "clopidogrel",
      "75 mg", "daily"],
     [(0, 1), (0, 2), (0, 3), (0, 4), (5, 6), (5, 7), (5, 8), (5, 9), (11, 12), (11, 13)]),
]


@pytest.fixture(scope="module")
def rules() -> RuleAnnotator:
    return RuleAnnotator()


@pytest.mark.parametrize("text,surfaces,relations", RULES_BEFORE)
def test_rules_output_unchanged_by_the_shared_attachment(rules, text, surfaces, relations):
    annotation = rules.predict(text)
    assert [text[e.start : e.end] for e in annotation.entities] == surfaces
    assert [(r.head, r.tail) for r in annotation.relations] == relations
    # The nearest linker on the rules' own entities gives the rules' relations.
    assert [(r.head, r.tail) for r in NearestLinker().link(text, annotation.entities)] == relations


def test_decode_keeps_pairs_over_threshold_and_forces_a_best_owner_over_the_floor():
    text = "a b c"
    found = entities(text, [("a", "medication"), ("b", "medication"), ("c", "dosage")])
    pairs = candidate_pairs(text, found, WindowSettings())
    assert [(p.head, p.tail) for p in pairs] == [(0, 2), (1, 2)]
    assert [(r.head, r.tail) for r in decode(pairs, [0.7, 0.6], Decoding(0.5, 0.2))] == [(0, 2), (1, 2)]
    assert [(r.head, r.tail) for r in decode(pairs, [0.3, 0.1], Decoding(0.5, 0.2))] == [(0, 2)]
    assert decode(pairs, [0.1, 0.1], Decoding(0.5, 0.2)) == []


def test_candidates_stay_within_the_window():
    text = "aspirin daily. " + "word " * 60 + "lasix bid"
    found = entities(text, [("aspirin", "medication"), ("daily", "frequency"), ("lasix", "medication"),
                            ("bid", "frequency")])
    assert {(p.head, p.tail) for p in candidate_pairs(text, found, WindowSettings(max_tokens=20))} == {(0, 1), (2, 3)}


@pytest.fixture(scope="module")
def packaged() -> ModelLinker:
    linker = build_linker(default_linker_config())
    linker.warm_up()
    return linker


def test_packaged_model_is_a_safe_small_package(packaged):
    names = {path.name for path in PACKAGED_MODEL.iterdir()}
    assert {"config.json", "weights.safetensors", "vocab.json", "README.md"} <= names <= set(FILES) | {"README.md"}
    assert sum(path.stat().st_size for path in PACKAGED_MODEL.iterdir()) < 5_000_000
    config = json.loads((PACKAGED_MODEL / "config.json").read_text())
    assert config["kind"] == "relations" and config["training_fingerprint"].startswith("sha256:")
    assert packaged.name == "medication-relations"


@requires_shared_data("deid-physionet", "dev")
def test_packaged_relation_vocabulary_holds_no_gold_phi_word():
    from ehr_models.embeddings.privacy import phi_vocabulary
    from ehr_models.relations.train import vocabulary_words

    words = set(json.loads((PACKAGED_MODEL / "vocab.json").read_text(encoding="utf-8"))["words"])
    assert len(words & phi_vocabulary(SHARED_DATA)) == 0  # a count only: never the words
    # two notes of one patient repeat a surrogate name: the ban, not the two-note rule, keeps it out
    notes = [LabelledNote(f"n{i}", "physionet", "Seen by Kowalczyk today.", (), frozenset()) for i in range(2)]
    assert "kowalczyk" in vocabulary_words(notes, ["<pad>", "<unk>"])
    assert "kowalczyk" not in vocabulary_words(notes, ["<pad>", "<unk>"], frozenset({"kowalczyk"}))


MODEL_CASES = [
    ("Started lasix 40 mg iv bid and metoprolol 25 mg po daily.",
     [("lasix", "medication"), ("40 mg", "dosage"), ("iv", "route"), ("bid", "frequency"),
      ("metoprolol", "medication"), ("25 mg", "dosage"), ("po", "route"), ("daily", "frequency")],
     {("lasix", "40 mg"), ("lasix", "iv"), ("lasix", "bid"), ("metoprolol", "25 mg"), ("metoprolol", "po"),
      ("metoprolol", "daily")}),
    ("tylenol and motrin prn for headache",
     [("tylenol", "medication"), ("motrin", "medication"), ("prn", "frequency"), ("headache", "reason")],
     {("tylenol", "prn"), ("motrin", "prn"), ("tylenol", "headache"), ("motrin", "headache")}),
    ("Allergies: none.\nMorphine 2 mg IV q4h prn pain.\nColace 100 mg PO BID.",
     [("Morphine", "medication"), ("2 mg", "dosage"), ("IV", "route"), ("q4h prn", "frequency"),
      ("pain", "reason"), ("Colace", "medication"), ("100 mg", "dosage"), ("PO", "route"), ("BID", "frequency")],
     {("Morphine", "2 mg"), ("Morphine", "IV"), ("Morphine", "q4h prn"), ("Morphine", "pain"),
      ("Colace", "100 mg"), ("Colace", "PO"), ("Colace", "BID")}),
]


def test_packaged_model_handles_notes_without_pairs(packaged):
    assert packaged.link("", []) == []
    assert packaged.link("   ", [Entity(0, 1, "dosage")]) == []
    text = "40 mg daily"
    assert packaged.link(text, entities(text, [("40 mg", "dosage"), ("daily", "frequency")])) == []


@pytest.mark.parametrize("text,marked,expected", MODEL_CASES)
def test_packaged_model_links_written_sentences(packaged, text, marked, expected):
    found = entities(text, marked)
    assert linked(text, found, packaged.link(text, found)) == expected


def test_training_saves_a_package_that_loads_to_the_same_scores(tmp_path):
    torch.manual_seed(0)
    text = "lasix 40 mg daily and aspirin 81 mg bid.\nheparin 5000 units sc q8h."
    found = entities(text, [("lasix", "medication"), ("40 mg", "dosage"), ("daily", "frequency"),
                            ("aspirin", "medication"), ("81 mg", "dosage"), ("bid", "frequency"),
                            ("heparin", "medication"), ("5000 units", "dosage"), ("sc", "route"),
                            ("q8h", "frequency")])
    note = LabelledNote("n1", "written", text, tuple(found),
                        frozenset({(0, 1), (0, 2), (3, 4), (3, 5), (6, 7), (6, 8), (6, 9)}))
    words = ["<pad>", "<unk>", "lasix", "aspirin", "heparin", "and", "mg", "daily", "bid"]
    model = RelationModel(RelationNet(RelationConfig(vocab_size=len(words), word_dim=8, hidden=8)),
                          Vocabulary(words), WindowSettings(), Decoding())
    pairs = note_pairs([note], model.window)
    result = fit(model, pairs, pairs, TrainSettings(epochs=2, batch_size=4))
    assert [r["epoch"] for r in result["history"]] == [1, 2]
    save(model, tmp_path / "model", {"fingerprint": "sha256:test"}, {"dev_f1": result["best_dev_f1"]})
    loaded = ModelLinker(tmp_path / "model")
    assert loaded.link(text, found) == model.link(text, found)
    assert json.loads((tmp_path / "model" / "config.json").read_text())["metrics"] == {"dev_f1": result["best_dev_f1"]}


def test_other_entities_keep_only_the_gold_relations_they_match_exactly():
    text = "lasix 40 mg daily for edema"
    gold = entities(text, [("lasix", "medication"), ("40 mg", "dosage"), ("daily", "frequency"), ("edema", "reason")])
    note = LabelledNote("n1", "written", text, tuple(gold), frozenset({(0, 1), (0, 2), (0, 3)}))
    other = entities(text, [("lasix", "medication"), ("40", "dosage"), ("daily", "frequency"), ("edema", "reason")])
    assert with_entities(note, other[:3]).relations == {(0, 2)}
    assert with_entities(note, other).relations == {(0, 2), (0, 3)}
