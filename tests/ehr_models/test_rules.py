import pickle

import pytest

from ehr_models.rules import DrugLexicon, RuleAnnotator
from ehr_models.rules.lexicon import _ContainersOnly
from ehr_models.text import tokenize
import io


@pytest.fixture(scope="module")
def annotator() -> RuleAnnotator:
    return RuleAnnotator()


def spans(annotator: RuleAnnotator, text: str) -> list[tuple[str, str]]:
    return [(e.label, text[e.start : e.end]) for e in annotator.predict(text).entities]


def links(annotator: RuleAnnotator, text: str) -> set[tuple[str, str]]:
    annotation = annotator.predict(text)
    entity_text = [text[e.start : e.end] for e in annotation.entities]
    return {(entity_text[r.head], entity_text[r.tail]) for r in annotation.relations}


def test_nursing_shorthand_gives_all_attributes_linked(annotator):
    text = "lasix 40mg iv bid given at 0800"
    assert spans(annotator, text) == [("medication", "lasix"), ("dosage", "40mg"), ("route", "iv"),
                                      ("frequency", "bid")]
    assert links(annotator, text) == {("lasix", "40mg"), ("lasix", "iv"), ("lasix", "bid")}


def test_all_caps_and_attributes_before_the_drug(annotator):
    text = "IV HEPARIN BEGUN AT 1100 UNITS; 5 MG COUMADIN GIVEN."
    found = links(annotator, text)
    assert ("HEPARIN", "IV") in found and ("HEPARIN", "1100 UNITS") in found and ("COUMADIN", "5 MG") in found


def test_duration_reason_and_dotted_abbreviations(annotator):
    text = "Levaquin 500 mg p.o. daily x 7 days for pneumonia."
    assert spans(annotator, text) == [("medication", "Levaquin"), ("dosage", "500 mg"), ("route", "p.o."),
                                      ("frequency", "daily"), ("duration", "x 7 days"), ("reason", "pneumonia")]


def test_shared_attributes_of_coordinated_drugs(annotator):
    text = "tylenol and motrin prn for headache"
    found = links(annotator, text)
    assert {("tylenol", "prn"), ("motrin", "prn"), ("tylenol", "headache"), ("motrin", "headache")} <= found


def test_allergies_and_lab_values_are_not_medications(annotator):
    text = "Allergies: penicillin, codeine. K 3.9, potassium 4.1, dig level 2.1. MEDICATIONS: digoxin 0.125 mg daily."
    meds = [s for label, s in spans(annotator, text) if label == "medication"]
    assert meds == ["digoxin"]


def test_attribute_without_a_medication_is_not_annotated(annotator):
    assert spans(annotator, "Sats 94% on 3L NC, UO 40 cc/hr, weight 80 kg.") == []


def test_clinical_abbreviations_and_groups(annotator):
    text = "Started vanco and levo. Given NS bolus, KCl repletion; pressors weaned; on a beta blocker."
    meds = {s.lower() for label, s in spans(annotator, text) if label == "medication"}
    assert {"vanco", "levo", "ns", "kcl", "pressors", "beta blocker"} <= meds


def test_annotation_is_pure_and_offsets_index_the_text(annotator):
    text = "Metoprolol succinate 50 mg PO daily; Tylenol #3 1-2 tabs q4-6h prn pain."
    first, second = annotator.predict(text), annotator.predict(text)
    assert first == second
    assert all(text[e.start : e.end] == text[e.start : e.end].strip() for e in first.entities)
    assert ("medication", "Metoprolol succinate") in spans(annotator, text)


def test_config_round_trips():
    annotator = RuleAnnotator(chain_gap=10)
    assert RuleAnnotator.from_dict(annotator.to_dict()).to_dict() == annotator.to_dict()


def test_lexicon_matches_longest_phrase_case_insensitively():
    lexicon = DrugLexicon()
    text = "POTASSIUM CHLORIDE and Lopressor"
    matches = lexicon.match(tokenize(text))
    assert [text[m.start : m.end] for m in matches] == ["POTASSIUM CHLORIDE", "Lopressor"]
    assert matches[1].canonical == "metoprolol"


def test_lexicon_unpickler_refuses_code():
    payload = pickle.dumps(print)  # a global reference: what a malicious dictionary would carry
    with pytest.raises(pickle.UnpicklingError):
        _ContainersOnly(io.BytesIO(payload)).load()
