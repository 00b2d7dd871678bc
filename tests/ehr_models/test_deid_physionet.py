"""The de-identification engine on real PHI: the PhysioNet deid corpus, held-out patients (skips when absent)."""

from __future__ import annotations

from ehr_models.deid import DeidEngine
from ehr_models.deid.evaluate import fitted_config, load_corpus, score, select
from tests.conftest import SHARED_DATA, requires_shared_data

CORPUS = SHARED_DATA / "deid-physionet" / "dev"


@requires_shared_data("deid-physionet", "dev", "id.text")
def test_recall_and_precision_floor_on_held_out_patients():
    notes = load_corpus(CORPUS)
    test_notes = select(notes, "test", limit=250)
    assert {n.patient for n in test_notes}.isdisjoint({n.patient for n in select(notes, "dev")})
    result = score(DeidEngine(fitted_config(notes)), test_notes)
    # Floors a little under the measured figures (BENCHMARKS.md, de-identification): a fall below is a regression.
    assert result["span"]["recall"] >= 0.85
    assert result["span"]["precision"] >= 0.85
    assert result["recall_by_type"]["Date"]["recall"] >= 0.9
    assert result["medication_words_redacted"] <= 3


@requires_shared_data("deid-physionet", "dev", "id.text")
def test_masked_held_out_notes_keep_no_gold_phi_that_the_engine_found():
    notes = select(load_corpus(CORPUS), "test", limit=40)
    engine = DeidEngine()
    for note in notes:
        result = engine.deidentify(note.text, mode="mask", note_id=note.note_id)
        for span in result.spans:  # every removed span maps back to itself through the offset map
            segment = next(s for s in result.offsets.segments if s[2] == span.start)
            assert result.offsets.to_original(segment[0], segment[1]) == (span.start, span.end)
        assert len(result.text) - sum(s[1] - s[0] for s in result.offsets.segments) == \
            len(note.text) - sum(s.end - s.start for s in result.spans)
