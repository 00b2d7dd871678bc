"""The RunInference model handler: batches sorted by length, predict_batch used, one bad note isolated."""

import pyarrow.dataset as ds
from apache_beam.ml.inference.base import RunInference

from ehr_models.annotation import Annotation, Entity
from ehr_models.records import Note
from ehr_models.registry import register
from pipelines.annotate import build
from tests.conftest import NURSING_NOTE, in_process_pipeline
from transforms.inference import AnnotationFailure, NoteModelHandler
from transforms.read import ReadConfig


class _Batched:
    """Records the batches it is given; fails on any text containing "boom" (with the text in the message)."""

    name, version = "batched", "3"
    calls: list = []

    def predict(self, text):
        if "boom" in text:
            raise ValueError(f"cannot annotate {text!r}")
        return Annotation([Entity(0, min(5, len(text)), "medication")])

    def predict_batch(self, texts):
        type(self).calls.append(list(texts))
        return [self.predict(text) for text in texts]

    def to_dict(self):
        return {"type": "batched"}


def notes(*texts):
    return [Note(note_id=f"n{i}", text=text, source=f"s{i}") for i, text in enumerate(texts)]


def test_batches_are_sorted_by_length_and_results_keep_the_batch_order():
    _Batched.calls = []
    batch = notes("a much longer note text", "short", "medium text")
    results = NoteModelHandler({"type": "batched"}).run_inference(batch, _Batched())
    assert _Batched.calls == [["short", "medium text", "a much longer note text"]]
    assert [r.example.note_id for r in results] == ["n0", "n1", "n2"]
    assert all(isinstance(r.inference, Annotation) and r.model_id == "batched:3" for r in results)


def test_a_failing_note_fails_alone():
    results = NoteModelHandler({"type": "batched"}).run_inference(notes("fine", "boom here", "also fine"),
                                                                  _Batched())
    kinds = [type(r.inference) for r in results]
    assert kinds == [Annotation, AnnotationFailure, Annotation]
    assert isinstance(results[1].inference.error, ValueError)


def test_handler_options_reach_beam():
    handler = NoteModelHandler({"type": "rules"}, max_batch_size=8, model_copies=2)
    assert handler.batch_elements_kwargs() == {"min_batch_size": 1, "max_batch_size": 8}
    assert handler.share_model_across_processes() and handler.model_copies() == 2
    assert not NoteModelHandler({"type": "rules"}).share_model_across_processes()
    assert handler.get_metrics_namespace() == "ehrbeam_annotate"
    assert isinstance(RunInference(handler).with_exception_handling(), RunInference)


def test_pipeline_turns_a_failing_note_into_an_error_row_without_its_text(tmp_path):
    register("batched", lambda config: _Batched())
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.txt").write_text(NURSING_NOTE, encoding="utf-8")
    (tmp_path / "in" / "bad.txt").write_text("boom: lasix 40mg for Mr Quimby\n", encoding="utf-8")
    output = tmp_path / "out"
    with in_process_pipeline() as pipeline:
        build(pipeline, str(tmp_path / "in"), str(output), "batched", "run-x", ReadConfig())

    def read(name):
        return ds.dataset(output / name, format="parquet").to_table().to_pylist()

    (error,) = read("errors")
    assert (error["note_id"], error["stage"], error["error_type"]) == ("bad", "annotate", "ValueError")
    assert "Quimby" not in error["message"] and "lasix" not in error["message"]
    assert {r["note_id"]: r["status"] for r in read("notes")} == {"good": "annotated", "bad": "error"}
    assert {r["note_id"] for r in read("entities")} == {"good"}
    assert [r["note_id"] for r in read("state")] == ["good"]


def test_dead_letters_become_error_rows_for_each_note_of_the_batch():
    from transforms.annotate import dead_letter_rows

    batch = notes("lasix for Mr Quimby", "other")
    rows = list(dead_letter_rows((batch, (ValueError, "ValueError('lasix for Mr Quimby')", ["trace"])), "r1"))
    errors = [r.value for r in rows if r.tag == "errors"]
    assert [(e["note_id"], e["error_type"], e["stage"]) for e in errors] == [("n0", "ValueError", "annotate"),
                                                                              ("n1", "ValueError", "annotate")]
    assert not any("Quimby" in e["message"] for e in errors)
    assert [r.value["status"] for r in rows if r.tag == "notes"] == ["error", "error"]
