"""AnnotateNotes: run an annotator over notes and emit the rows of the entities, relations and notes datasets."""

from __future__ import annotations

import logging
from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from ehr_models.annotation import Annotation
from ehr_models.records import Note
from ehr_models.registry import build_annotator
from ehr_models.text import tokenize
from transforms import schemas
from transforms.io import ERRORS_TAG, error_row, note_row

_LOGGER = logging.getLogger(__name__)
RELATIONS_TAG = "relations"
NOTES_TAG = "notes"


def annotation_rows(note: Note, annotation: Annotation, model_name: str, model_version: str,
                    run_id: str) -> tuple[list[dict], list[dict], int]:
    """Entity and relation rows for one note, and how many entities were dropped for touching PHI.

    ``annotation`` indexes ``note.working_text``; rows are written in ORIGINAL offsets. An entity whose original
    span overlaps PHI is dropped with its relations: it was found on a mask or surrogate, and writing its original
    text would leak the PHI. Entity ids are ``T1``, ``T2``... in text order, unique per note."""
    provenance = {"model_name": model_name, "model_version": model_version, "run_id": run_id}
    kept: dict[int, tuple[int, int]] = {}
    for index, entity in enumerate(annotation.entities):
        start, end = note.to_original(entity.start, entity.end)
        if not note.overlaps_phi(start, end):
            kept[index] = (start, end)
    order = sorted(kept, key=lambda i: kept[i])
    ids = {index: f"T{n + 1}" for n, index in enumerate(order)}
    entities = [
        schemas.row(schemas.ENTITIES, note_id=note.note_id, entity_id=ids[i], label=annotation.entities[i].label,
                    start=kept[i][0], end=kept[i][1], text=note.text[kept[i][0] : kept[i][1]],
                    score=float(annotation.entities[i].score), **provenance)
        for i in order
    ]
    relations = [
        schemas.row(schemas.RELATIONS, note_id=note.note_id, head_id=ids[r.head], tail_id=ids[r.tail],
                    label=annotation.entities[r.tail].label, score=float(r.score), **provenance)
        for r in annotation.relations if r.head in ids and r.tail in ids
    ]
    return entities, relations, len(annotation.entities) - len(kept)


class AnnotateNotes(beam.DoFn):
    """``Note`` -> entity rows (main), relation rows, one notes row, and error rows for notes that fail.

    Takes the annotator config in ``__init__`` and builds the annotator once per DoFn instance in ``setup``.
    """

    def __init__(self, annotator_config: dict, run_id: str) -> None:
        self.annotator_config = annotator_config
        self.run_id = run_id
        self._annotator = None

    def setup(self) -> None:
        self._annotator = build_annotator(self.annotator_config)
        warm_up = getattr(self._annotator, "warm_up", None)
        if warm_up is not None:
            warm_up()
        self._notes = Metrics.counter("annotate", "notes_annotated")
        self._failed = Metrics.counter("annotate", "notes_failed")
        self._entities = Metrics.counter("annotate", "entities")
        self._dropped = Metrics.counter("annotate", "entities_on_phi_dropped")

    def process(self, note: Note) -> Iterator:
        annotator = self._annotator
        try:
            tokens = len(tokenize(note.working_text))
            entities, relations, dropped = annotation_rows(note, annotator.predict(note.working_text),
                                                           annotator.name, annotator.version, self.run_id)
        except Exception as error:
            _LOGGER.warning("note %s failed annotation: %s", note.note_id, type(error).__name__)
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "annotate", error, note.note_id,
                                                                 note.source))
            yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(self.run_id, note.note_id, note.source, "error",
                                                               len(note.text), None, note.encoding, note.meta))
            return
        self._notes.inc()
        self._entities.inc(len(entities))
        self._dropped.inc(dropped)
        yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(self.run_id, note.note_id, note.source, "annotated",
                                                           len(note.text), tokens, note.encoding, note.meta))
        yield from entities
        for relation in relations:
            yield beam.pvalue.TaggedOutput(RELATIONS_TAG, relation)


class Annotate(beam.PTransform):
    """Notes -> ``{"entities", "relations", "notes", "errors"}`` PCollections of row dicts."""

    def __init__(self, annotator_config: dict, run_id: str) -> None:
        super().__init__()
        self.annotator_config = annotator_config
        self.run_id = run_id

    def expand(self, notes):
        out = notes | "RunAnnotator" >> beam.ParDo(AnnotateNotes(self.annotator_config, self.run_id)).with_outputs(
            RELATIONS_TAG, NOTES_TAG, ERRORS_TAG, main="entities")
        return {"entities": out.entities, "relations": out[RELATIONS_TAG], "notes": out[NOTES_TAG],
                "errors": out[ERRORS_TAG]}
