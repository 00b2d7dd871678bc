"""The project's ``ModelHandler`` for Beam's ``RunInference``: notes in, annotations out, one model per process.

Beam's stock PyTorch handlers stack equal-length tensors; notes vary from 50 to 50,000 characters, so this handler
hands the annotator whole notes instead: each batch is sorted by length and given to ``predict_batch`` when the
annotator has one (the tagger pads per sentence batch there), else to ``predict`` note by note.

A note that makes the annotator fail never takes its batch down with it: the batch is retried note by note and the
failing note comes back as an ``AnnotationFailure`` (its id and exception type only). Whatever still escapes
(a batch that cannot even be retried) reaches ``RunInference``'s dead-letter output, which ``Annotate`` turns into
error rows as well. Exceptions are never logged with their message: it may quote the note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from ehr_models.annotation import Annotation, Annotator
from ehr_models.records import Note
from ehr_models.registry import build_annotator
from transforms import memory

_LOGGER = logging.getLogger(__name__)
METRICS_NAMESPACE = "ehrbeam_annotate"
# Notes run about 3 KB (MTSamples) to 30 KB (discharge summaries): up to 64 notes a batch keeps a tagger's padded
# tensors small and the per-batch overhead (Python calls, metrics) negligible. Beam's BatchElements grows batches
# towards that bound as long as they stay fast.
DEFAULT_MAX_BATCH_SIZE = 64


@dataclass(frozen=True)
class AnnotationFailure:
    """What replaces an annotation when the annotator failed on one note: the exception, kept in memory only
    (``transforms.read.error_row`` stores its type, never its message)."""

    error: BaseException


def note_chars(note: Note) -> int:
    return len(note.working_text)


class NoteModelHandler(ModelHandler[Note, Annotation, Annotator]):
    """``RunInference`` handler for any registered annotator (``ehr_models.registry.build_annotator`` config).

    ``share_across_processes`` loads one model per machine served to every worker process (Beam's
    ``multi_process_shared``); ``model_copies`` loads exactly that many per machine. Both are for large models:
    by default each worker process loads its own, shared by its threads. ``identity`` is the annotator's
    (name, version) as the launcher read it: a model shared across processes is reached through a proxy that
    exposes its methods only, so the handler cannot ask it."""

    def __init__(self, annotator_config: dict, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
                 share_across_processes: bool = False, model_copies: int | None = None,
                 identity: tuple[str, str] | None = None) -> None:
        super().__init__(large_model=share_across_processes, model_copies=model_copies)
        self.annotator_config = annotator_config
        self.max_batch_size = max_batch_size
        self.identity = identity

    def load_model(self) -> Annotator:
        annotator = build_annotator(self.annotator_config)
        warm_up = getattr(annotator, "warm_up", None)
        if warm_up is not None:
            warm_up()  # load lexicons and weights now, not inside the first batch's latency
        return annotator

    def run_inference(self, batch: Sequence[Note], model: Annotator,
                      inference_args: dict[str, Any] | None = None) -> Iterable[PredictionResult]:
        """One ``PredictionResult(note, Annotation | AnnotationFailure)`` per note, in the batch's order."""
        order = sorted(range(len(batch)), key=lambda i: note_chars(batch[i]))
        texts = [batch[i].working_text for i in order]
        try:
            found = self._predict(model, texts)
        except Exception as error:  # one bad note must not fail the others: retry them one by one
            _LOGGER.warning("a batch of %d notes failed (%s); retrying note by note", len(batch),
                            type(error).__name__)
            found = [self._predict_one(model, batch[i]) for i in order]
        results: list[Any] = [None] * len(batch)
        for position, annotation in zip(order, found):
            results[position] = annotation
        model_id = ":".join(self.identity) if self.identity else f"{model.name}:{model.version}"
        memory.notes_done(len(batch))  # keeps the worker's RSS flat over long runs (transforms/memory.py)
        return [PredictionResult(note, result, model_id) for note, result in zip(batch, results)]

    @staticmethod
    def _predict(model: Annotator, texts: list[str]) -> list[Annotation]:
        predict_batch = getattr(model, "predict_batch", None)
        if predict_batch is not None:
            found = list(predict_batch(texts))
            if len(found) != len(texts):
                raise RuntimeError(f"predict_batch returned {len(found)} annotations for {len(texts)} notes")
            return found
        return [model.predict(text) for text in texts]

    @staticmethod
    def _predict_one(model: Annotator, note: Note) -> Annotation | AnnotationFailure:
        try:
            return model.predict(note.working_text)
        except Exception as error:  # logged once, with the note's id, where its error row is made
            return AnnotationFailure(error)

    def get_num_bytes(self, batch: Sequence[Note]) -> int:
        return sum(note_chars(note) for note in batch)

    def get_metrics_namespace(self) -> str:
        return METRICS_NAMESPACE

    def batch_elements_kwargs(self) -> Mapping[str, Any]:
        return {"min_batch_size": 1, "max_batch_size": self.max_batch_size}
