"""The default medication model: the packaged NER tagger, its PHI hygiene, and the composite annotator."""

from __future__ import annotations

import json

import pytest

from ehr_models.annotation import Entity
from ehr_models.formats.examples import Document
from ehr_models.medication.annotator import MedicationAnnotator, combine, default_model_dir
from ehr_models.medication.phi import mask_document
from ehr_models.medication.splits import dev_keys, fold_of, group_of, select_internal
from ehr_models.deid.phi import PhiSpan
from ehr_models.registry import build_annotator
from tests.conftest import SHARED_DATA, requires_shared_data

MODEL = default_model_dir()
needs_model = pytest.mark.skipif(not (MODEL / "config.json").exists(), reason="packaged medication model not built")
# Written for these tests (not note text from the shared corpora).
SENTENCES = [
    "Discharge medications: metoprolol 25 mg PO twice daily and lisinopril 10 mg daily.",
    "She was given morphine 2 mg IV q4h prn pain.",
    "Continue aspirin 81 mg by mouth daily for CAD.",
]


def test_masking_moves_spans_to_the_masked_text():
    text = "Seen by Dr. Smithson on 3/4. Lasix 40 mg po given; Smithson agrees. Heparin drip."
    spans = tuple((text.index(word), text.index(word) + len(word), label)
                  for word, label in (("Lasix", "medication"), ("40 mg", "dosage"), ("Heparin", "medication")))
    phi = [PhiSpan(12, 20, "NAME"), PhiSpan(24, 27, "DATE"), PhiSpan(52, 60, "NAME")]
    masked = mask_document(Document("n", text, spans), phi)
    assert "Smithson" not in masked.text and masked.text.count("[**NAME**]") == 2
    assert [masked.text[s:e] for s, e, _ in masked.spans] == ["Lasix", "40 mg", "Heparin"]


def test_dev_split_keeps_a_patient_on_one_side():
    keys = [("physionet", f"{patient}-{note}") for patient in range(1, 30) for note in range(1, 4)]
    keys += [("mtsamples", str(n)) for n in range(100)]
    dev = dev_keys(keys, {"physionet": 8, "mtsamples": 12})
    patients = {group_of(*k) for k in dev if k[0] == "physionet"}
    assert all(("physionet", f"{p}-{n}") in dev for p in patients for n in range(1, 4))
    assert sum(k[0] == "mtsamples" for k in dev) == 12 and len(patients) == 3
    assert dev == dev_keys(list(reversed(keys)), {"physionet": 8, "mtsamples": 12})


def test_cross_validation_folds_partition_the_train_notes_by_patient():
    keys = [("physionet", f"{patient}-{note}") for patient in range(1, 30) for note in range(1, 4)]
    keys += [("mtsamples", str(n)) for n in range(100)]
    held = [select_internal(keys, lambda k: k, f"fold{i}of4") for i in range(4)]
    assert sorted(k for fold in held for k in fold) == sorted(keys)  # every note in exactly one fold
    assert all(len(fold) > 20 for fold in held)
    for i, fold in enumerate(held):
        rest = select_internal(keys, lambda k: k, f"rest{i}of4")
        assert set(rest) == set(keys) - set(fold)
        assert not {group_of(*k) for k in fold if k[0] == "physionet"} & {group_of(*k) for k in rest
                                                                          if k[0] == "physionet"}
    assert fold_of("physionet", "7-1", 4) == fold_of("physionet", "7-3", 4)
    with pytest.raises(ValueError):
        select_internal(keys, lambda k: k, "fold4of4")


def test_silver_notes_skip_gold_notes_copies_and_near_copies_of_test_notes():
    from ehr_models.medication.silver import silver_note_ids, to_record
    from ehr_models.annotation import Annotation, Relation

    words = " ".join(f"word{i}" for i in range(80))
    texts = {"1": "Lasix 40 mg po daily. " + words, "2": "gold note " + words[::-1], "3": "Lasix 40 mg po daily. " + words,
             "4": "a test near-copy " + "Lisinopril 10 mg daily, " + words, "5": "different report entirely " * 20}
    chosen = silver_note_ids(texts, gold_ids={"2"}, test_texts=["Lisinopril 10 mg daily, " + words], min_chars=10)
    assert chosen == ["5"]  # 1 and 3 share the test note's 5-grams, 2 is gold, 4 a near-copy
    text = "Lasix 40 mg po daily"
    record = to_record("mtsamples", "9", text, Annotation(
        [Entity(0, 5, "medication"), Entity(6, 11, "dosage"), Entity(15, 20, "frequency")], [Relation(0, 1)]),
        "rules-x")
    assert [(e["type"], e["text"]) for e in record["entities"]] == [("m", "Lasix"), ("do", "40 mg"), ("f", "daily")]
    assert record["entries"] == [{"m": "T1", "do": ["T2"], "mo": [], "f": [], "du": [], "r": []}]


def test_combine_takes_each_label_from_its_source():
    tagged = [Entity(0, 5, "medication"), Entity(6, 11, "dosage")]
    ruled = [Entity(0, 5, "medication"), Entity(20, 26, "medication"), Entity(30, 40, "reason"),
             Entity(6, 9, "dosage")]
    both = combine(tagged, ruled, {"medication": "union", "reason": "rules"})
    assert both == [Entity(0, 5, "medication"), Entity(6, 11, "dosage"), Entity(20, 26, "medication"),
                    Entity(30, 40, "reason")]
    assert combine(tagged, ruled, {}) == tagged


@needs_model
def test_packaged_model_is_small_and_loads_from_safetensors():
    from ehr_models.package import load_package

    package = load_package(MODEL)  # safetensors: no pickled code runs
    assert package.kind == "tagger" and set(package.labels["labels"]) >= {"medication", "dosage", "route"}
    assert sum(p.stat().st_size for p in MODEL.iterdir()) < 8_000_000
    assert "python -m ehr_models.train" in (MODEL / "README.md").read_text(encoding="utf-8")
    assert set(json.loads((MODEL / "hybrid.json").read_text(encoding="utf-8"))["sources"]) == {
        "medication", "dosage", "route", "frequency", "duration", "reason"}


@needs_model
def test_default_annotator_finds_medications_and_links_attributes():
    annotator = build_annotator("medication")
    assert isinstance(annotator, MedicationAnnotator)
    found = [annotator.predict(text) for text in SENTENCES]
    names = [{text[e.start:e.end].lower() for e in a.entities if e.label == "medication"}
             for text, a in zip(SENTENCES, found)]
    assert {"metoprolol", "lisinopril"} <= names[0] and "morphine" in names[1] and "aspirin" in names[2]
    first = found[0]
    doses = {SENTENCES[0][first.entities[r.tail].start:first.entities[r.tail].end]
             for r in first.relations if SENTENCES[0][first.entities[r.head].start:first.entities[r.head].end]
             == "metoprolol"}
    assert "25 mg" in doses
    assert annotator.predict_batch(SENTENCES) == found
    assert annotator.predict_batch([]) == []


@needs_model
def test_annotator_config_round_trips():
    annotator = MedicationAnnotator(str(MODEL), sources={"reason": "rules"}, linker="nearest", threads=1)
    config = annotator.to_dict()
    again = build_annotator(json.loads(json.dumps(config)))
    assert again.to_dict() == config and again.label_sources["reason"] == "rules"
    assert build_annotator("medication").to_dict()["type"] == "medication"
    with pytest.raises(ValueError):
        _ = MedicationAnnotator(str(MODEL), sources={"reason": "oracle"}).label_sources


@needs_model
@requires_shared_data("deid-physionet", "dev")
def test_packaged_vocabulary_holds_no_gold_phi_word():
    from ehr_models.embeddings.privacy import phi_vocabulary

    words = set(json.loads((MODEL / "vocab.json").read_text(encoding="utf-8"))["words"])
    leaked = words & phi_vocabulary(SHARED_DATA)
    assert len(leaked) == 0  # a count only: never the words


@requires_shared_data("deid-physionet", "dev")
def test_gold_fit_and_dev_split_the_train_notes_and_mask_their_phi():
    from ehr_models.medication.splits import group_of as group
    from ehr_models.tagging.datasets import load_documents

    train = {d.id: d for d in load_documents("gold/medication::train", "medication-json")}
    fit = load_documents("gold/medication::fit", "medication-json", mask_phi=True)
    dev = load_documents("gold/medication::dev", "medication-json", mask_phi=True)
    assert {d.id for d in fit} | {d.id for d in dev} == set(train) and 15 <= len(dev) <= 30
    patients = [{group("physionet", d.id.split("/")[1]) for d in part if d.id.startswith("physionet/")}
                for part in (fit, dev)]
    assert not patients[0] & patients[1] and patients[1]
    masked = [d for d in fit + dev if d.text != train[d.id].text]
    assert masked and all("[**" in d.text for d in masked)
    for document in masked:  # every annotation still covers the same words, but for PHI inside it ("until <date>")
        original = train[document.id]
        pairs = [(document.text[s:e], original.text[a:b]) for (s, e, _), (a, b, _) in
                 zip(document.spans, original.spans)]
        assert len(document.spans) == len(original.spans)
        assert all(after == before for after, before in pairs if "[**" not in after)
