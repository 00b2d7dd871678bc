"""Batched paths give what the one-note paths give: ``MedicationAnnotator.predict_batch`` and ``link_batch``."""

from __future__ import annotations

import pytest

from ehr_models.annotation import Annotation, Entity
from ehr_models.medication.annotator import MedicationAnnotator, default_model_dir
from ehr_models.relations.linker import PACKAGED_MODEL, NearestLinker, link_all

needs_models = pytest.mark.skipif(
    not ((default_model_dir() / "config.json").exists() and (PACKAGED_MODEL / "config.json").exists()),
    reason="packaged medication NER or relation model not built")

# Written for these tests (not note text from the shared corpora): several medications and attributes a note,
# one note without any entity, one empty, so batches mix notes with and without candidate pairs.
NOTES = [
    "Discharge medications: metoprolol 25 mg PO twice daily, lisinopril 10 mg daily and aspirin 81 mg daily. "
    "Follow up in two weeks.",
    "The patient is a 54-year-old man seen for a routine visit. No complaints today.",
    "",
    "She was given morphine 2 mg IV q4h prn pain, then ondansetron 4 mg IV for nausea.\n"
    "Start amoxicillin 500 mg by mouth three times a day for 10 days for otitis media.",
    "Continue warfarin 5 mg nightly; hold ibuprofen. Prednisone 40 mg daily for 5 days for COPD flare.",
]


def assert_same(batched: list[Annotation], single: list[Annotation]) -> None:
    """Same entities, same relations; relation scores within 1e-4 (batch mates may change float rounding)."""
    assert len(batched) == len(single)
    for mine, theirs in zip(batched, single):
        assert mine.entities == theirs.entities
        assert [(r.head, r.tail) for r in mine.relations] == [(r.head, r.tail) for r in theirs.relations]
        assert all(abs(a.score - b.score) <= 1e-4 for a, b in zip(mine.relations, theirs.relations))


@pytest.fixture(scope="module")
def annotator() -> MedicationAnnotator:
    annotator = MedicationAnnotator(threads=1)
    annotator.warm_up()
    return annotator


@needs_models
def test_predict_batch_equals_predict_per_note(annotator):
    batched = annotator.predict_batch(NOTES)
    assert sum(len(a.relations) for a in batched) >= 5  # the notes do exercise the relation model
    assert batched[1].entities == [] and batched[2] == Annotation()
    assert_same(batched, [annotator.predict(text) for text in NOTES])


@needs_models
def test_link_batch_equals_link_per_note_in_any_order(annotator):
    linker = annotator.relation_linker
    entity_lists = [a.entities for a in annotator.predict_batch(NOTES)]
    single = [Annotation(e, linker.link(t, e)) for t, e in zip(NOTES, entity_lists)]
    batched = [Annotation(e, r) for e, r in zip(entity_lists, linker.link_batch(NOTES, entity_lists))]
    assert_same(batched, single)
    reversed_run = linker.link_batch(NOTES[::-1], entity_lists[::-1])[::-1]
    assert_same([Annotation(e, r) for e, r in zip(entity_lists, reversed_run)], single)


def test_link_all_falls_back_to_link_per_note():
    text = "Aspirin 81 mg daily and Lasix 40 mg PO."
    entities = [Entity(0, 7, "medication"), Entity(8, 13, "dosage"), Entity(14, 19, "frequency"),
                Entity(24, 29, "medication"), Entity(30, 35, "dosage"), Entity(36, 38, "route")]

    class OneAtATime:  # a third-party linker with only ``link``
        name, version = "one", "1"

        def link(self, text, entities):
            return NearestLinker().link(text, entities)

    expected = NearestLinker().link(text, entities)
    assert [(r.head, r.tail) for r in expected] == [(0, 1), (0, 2), (3, 4), (3, 5)]
    assert link_all(OneAtATime(), [text, ""], [entities, []]) == [expected, []]
    assert link_all(NearestLinker(), [text, ""], [entities, []]) == [expected, []]


def test_one_torch_thread_by_default_and_through_the_config():
    assert MedicationAnnotator().threads == 1
    assert MedicationAnnotator.from_dict({"type": "medication"}).threads == 1
    kept = MedicationAnnotator.from_dict(MedicationAnnotator(threads=None).to_dict())
    assert kept.threads is None  # explicitly None: torch's own setting, as before
