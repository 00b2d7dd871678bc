"""Annotate: notes -> ``RunInference`` (``transforms.inference.NoteModelHandler``) -> the rows of every dataset.

Rows are written in ORIGINAL offsets and entities touching PHI are dropped (``annotation_rows``). A note the
annotator fails on becomes an ``errors`` row (stage ``annotate``, its id and exception type, never its text) and a
``notes`` row with status ``error``; the other notes of its batch are unaffected.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import PredictionResult, RunInference

from ehr_models.annotation import Annotation
from ehr_models.records import Note
from ehr_models.text import tokenize
from transforms import schemas
from transforms.incremental import state_row
from transforms.inference import AnnotationFailure, NoteModelHandler
from transforms.io import ERRORS_TAG, error_row, note_row
from transforms.omop import note_nlp_rows, stable_id
from transforms.progress import ProgressFile

_LOGGER = logging.getLogger(__name__)
RELATIONS_TAG = "relations"
NOTES_TAG = "notes"
STATE_TAG = "state"
NOTE_NLP_TAG = "note_nlp"
SAMPLES_TAG = "samples"
SAMPLE_NOTES = 5  # notes shown, de-identified, in the run's HTML report


def kept_entities(note: Note, annotation: Annotation) -> dict[int, tuple[str, int, int]]:
    """Annotation index -> (entity id, original start, original end) of the entities that may be written.

    An entity whose original span overlaps PHI is dropped: it was found on a mask or surrogate, and writing its
    original text would leak the PHI. Ids are ``T1``, ``T2``... in original text order, unique per note."""
    spans: dict[int, tuple[int, int]] = {}
    for index, entity in enumerate(annotation.entities):
        start, end = note.to_original(entity.start, entity.end)
        if not note.overlaps_phi(start, end):
            spans[index] = (start, end)
    order = sorted(spans, key=lambda i: spans[i])
    return {index: (f"T{n + 1}", *spans[index]) for n, index in enumerate(order)}


def annotation_rows(note: Note, annotation: Annotation, kept: dict[int, tuple[str, int, int]], model_name: str,
                    model_version: str, run_id: str) -> tuple[list[dict], list[dict], int]:
    """Entity and relation rows for one note, and how many entities were dropped for touching PHI.

    ``annotation`` indexes ``note.working_text``; ``kept`` is ``kept_entities(note, annotation)``: rows are
    written in ORIGINAL offsets."""
    provenance = {"model_name": model_name, "model_version": model_version, "run_id": run_id}
    entities = [
        schemas.row(schemas.ENTITIES, note_id=note.note_id, entity_id=entity_id, label=annotation.entities[i].label,
                    start=start, end=end, text=note.text[start:end], score=float(annotation.entities[i].score),
                    **provenance)
        for i, (entity_id, start, end) in kept.items()
    ]
    relations = [
        schemas.row(schemas.RELATIONS, note_id=note.note_id, head_id=kept[r.head][0], tail_id=kept[r.tail][0],
                    label=annotation.entities[r.tail].label, score=float(r.score), **provenance)
        for r in annotation.relations if r.head in kept and r.tail in kept
    ]
    return entities, relations, len(annotation.entities) - len(kept)


def sample_record(note: Note, annotation: Annotation, kept: dict[int, tuple[str, int, int]]) -> dict:
    """A note as the HTML report shows it: the DE-IDENTIFIED text and the written entities in its offsets."""
    entities = [{"id": entity_id, "label": annotation.entities[i].label, "start": annotation.entities[i].start,
                 "end": annotation.entities[i].end} for i, (entity_id, _, _) in kept.items()]
    links = [[kept[r.head][0], kept[r.tail][0]] for r in annotation.relations if r.head in kept and r.tail in kept]
    return {"note_id": note.note_id, "text": note.working_text, "entities": entities, "relations": links,
            "deidentified": note.deid is not None}


@dataclass(frozen=True)
class RowSettings:
    run_id: str
    omop_time: datetime.datetime | None = None  # set: also emit NOTE_NLP rows, stamped with this time
    staging: str | None = None  # set: report progress there (transforms.progress)
    samples: int = SAMPLE_NOTES  # notes the HTML report shows (0: none, and no note text leaves the workers)


class PredictionRows(beam.DoFn):
    """``PredictionResult(note, Annotation | AnnotationFailure)`` -> entity rows (main) and relation, notes,
    state, NOTE_NLP, report-sample and error rows."""

    def __init__(self, settings: RowSettings) -> None:
        self.settings = settings

    def setup(self) -> None:
        self._notes = Metrics.counter("annotate", "notes_annotated")
        self._failed = Metrics.counter("annotate", "notes_failed")
        self._entities = Metrics.counter("annotate", "entities")
        self._dropped = Metrics.counter("annotate", "entities_on_phi_dropped")
        self._progress = ProgressFile(self.settings.staging) if self.settings.staging else None

    def finish_bundle(self) -> None:
        if self._progress is not None:
            self._progress.flush()

    def process(self, result: PredictionResult) -> Iterator:
        note, annotation, run_id = result.example, result.inference, self.settings.run_id
        if self._progress is not None:
            self._progress.add()
        model_name, _, model_version = (result.model_id or "unknown:").partition(":")
        if isinstance(annotation, AnnotationFailure):
            yield from failed_note(note, annotation.error, run_id)
            self._failed.inc()
            return
        try:
            tokens = len(tokenize(note.working_text))
            kept = kept_entities(note, annotation)
            entities, relations, dropped = annotation_rows(note, annotation, kept, model_name, model_version,
                                                           run_id)
        except Exception as error:  # a malformed annotation (offsets out of range, say) fails this note alone
            yield from failed_note(note, error, run_id)
            self._failed.inc()
            return
        self._notes.inc()
        self._entities.inc(len(entities))
        self._dropped.inc(dropped)
        yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(run_id, note.note_id, note.source, "annotated",
                                                           len(note.text), tokens, note.encoding, note.meta))
        yield beam.pvalue.TaggedOutput(STATE_TAG, state_row(note, model_name, model_version, run_id))
        yield from entities
        for relation in relations:
            yield beam.pvalue.TaggedOutput(RELATIONS_TAG, relation)
        if self.settings.omop_time is not None:
            ids = {index: entity_id for index, (entity_id, _, _) in kept.items()}
            for row in note_nlp_rows(note, annotation, ids, model_name, model_version, run_id,
                                     self.settings.omop_time):
                yield beam.pvalue.TaggedOutput(NOTE_NLP_TAG, row)
        if kept and self.settings.samples:
            # Report samples: the notes with most entities (up to 20), ties broken by a stable hash of the id, so
            # every runner picks the same ones.
            yield beam.pvalue.TaggedOutput(SAMPLES_TAG, ((min(len(kept), 20), stable_id(note.note_id)),
                                                         sample_record(note, annotation, kept)))


def failed_note(note: Note, error: BaseException, run_id: str) -> Iterator:
    """The error row and ``notes`` row of a note the annotator failed on (id and exception type only)."""
    _LOGGER.warning("note %s failed annotation: %s", note.note_id, type(error).__name__)
    yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(run_id, "annotate", error, note.note_id, note.source))
    yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(run_id, note.note_id, note.source, "error", len(note.text),
                                                       None, note.encoding, note.meta))


def dead_letter_rows(item, run_id: str) -> Iterator:
    """``RunInference``'s dead letters ``(batch, (exception type, repr, traceback))`` -> error and notes rows for
    every note of the batch. Only the exception's type is kept: its repr and traceback may quote note text."""
    batch, (exception_type, _, _) = item
    error = _named_error(getattr(exception_type, "__name__", "Exception"))
    for note in batch:
        yield from failed_note(note, error, run_id)


def _named_error(name: str) -> BaseException:
    return type(name, (Exception,), {})()


class Annotate(beam.PTransform):
    """Notes -> ``{"entities", "relations", "notes", "errors", "state", "note_nlp", "samples"}`` row PCollections
    (``note_nlp`` empty unless ``settings.omop_time`` is set; ``samples``: the few notes the report shows)."""

    def __init__(self, handler: NoteModelHandler, settings: RowSettings) -> None:
        super().__init__()
        self.handler = handler
        self.settings = settings

    def expand(self, notes):
        predictions, dead_letters = notes | "RunInference" >> RunInference(self.handler).with_exception_handling()
        rows = predictions | "PredictionRows" >> beam.ParDo(PredictionRows(self.settings)).with_outputs(
            RELATIONS_TAG, NOTES_TAG, STATE_TAG, NOTE_NLP_TAG, SAMPLES_TAG, ERRORS_TAG, main="entities")
        failed = dead_letters.failed_inferences | "DeadLetterRows" >> beam.FlatMap(
            dead_letter_rows, self.settings.run_id).with_outputs(ERRORS_TAG, NOTES_TAG)
        samples = (rows[SAMPLES_TAG]
                   | "TopSamples" >> beam.combiners.Top.Of(max(self.settings.samples, 1), key=lambda pair: pair[0])
                   | "SampleRecords" >> beam.FlatMap(lambda top: [record for _, record in top]))
        return {
            "entities": rows.entities, "relations": rows[RELATIONS_TAG], "state": rows[STATE_TAG],
            "note_nlp": rows[NOTE_NLP_TAG], "samples": samples,
            "notes": (rows[NOTES_TAG], failed[NOTES_TAG]) | "AnnotateNoteRows" >> beam.Flatten(),
            "errors": (rows[ERRORS_TAG], failed[ERRORS_TAG]) | "AnnotateErrors" >> beam.Flatten(),
        }
