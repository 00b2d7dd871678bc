"""Deidentify: notes -> the same notes carrying their de-identified text, PHI spans and offset map.

The engine (``ehr_models.deid``) is configured by a dict and built once per DoFn instance in ``setup``. The
surrogate salt is a secret: it is read on the worker from an environment variable, never placed in the pipeline
graph (which runners store and display).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import replace
from typing import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from ehr_models.deid.engine import ENGINE_VERSION, DeidConfigError, DeidEngine
from ehr_models.records import Deidentified, Note
from transforms import schemas
from transforms.read import ERRORS_TAG, NOTE_ROWS_TAG, ReadConfig, ReadNotes, error_row, note_row

_LOGGER = logging.getLogger(__name__)
DEFAULT_SALT_ENV = "EHRBEAM_DEID_SALT"
MAX_BATCH_NOTES = 32  # notes per engine call: the PHI tagger pads per batch, so larger gains little


class DeidentifyNotes(beam.DoFn):
    """Batches of ``Note`` -> ``Note`` with ``deid`` set (main); error rows and ``notes`` rows for notes that fail."""

    def __init__(self, engine_config: dict | None, mode: str, run_id: str, salt_env: str = DEFAULT_SALT_ENV) -> None:
        self.engine_config = engine_config
        self.mode = mode
        self.run_id = run_id
        self.salt_env = salt_env
        self._engine: DeidEngine | None = None
        self._salt: str | None = None

    def setup(self) -> None:
        self._engine = DeidEngine.from_dict(self.engine_config) if self.engine_config else DeidEngine()
        self._salt = os.environ.get(self.salt_env)
        if self.mode == "surrogate" and not self._salt:
            raise DeidConfigError(f"surrogate de-identification needs a secret salt in ${self.salt_env} on every "
                                  f"worker")
        self._phi = Metrics.counter("deidentify", "phi_spans")
        self._notes = Metrics.counter("deidentify", "notes")
        self._msecs = Metrics.counter("deidentify", "engine_msecs")  # stage timing for the run manifest

    def process(self, notes: list[Note]) -> Iterator:
        """A batch of notes (``beam.BatchElements``): the engine's batching recognizers (the PHI tagger) run once
        for the batch; if that fails, each note is tried alone so one bad note cannot fail the others."""
        started = time.perf_counter()
        try:
            found = self._engine.find_batch([note.text for note in notes])
        except Exception:
            found = [None] * len(notes)
        for note, spans in zip(notes, found):
            yield from self._deidentify(note, spans)
        self._msecs.inc(round(1000 * (time.perf_counter() - started)))

    def _deidentify(self, note: Note, spans) -> Iterator:
        try:
            result = self._engine.deidentify(note.text, mode=self.mode, salt=self._salt,
                                             patient_id=note.meta.get("patient_id"), note_id=note.note_id,
                                             spans=spans)
        except Exception as error:
            _LOGGER.warning("note %s failed de-identification: %s", note.note_id, type(error).__name__)
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "deidentify", error, note.note_id,
                                                                 note.source))
            yield beam.pvalue.TaggedOutput(NOTE_ROWS_TAG, note_row(self.run_id, note.note_id, note.source, "error",
                                                                   len(note.text), None, note.encoding, note.meta))
            return
        self._notes.inc()
        self._phi.inc(len(result.spans))
        phi = tuple((span.start, span.end, span.label) for span in result.spans)
        yield replace(note, deid=Deidentified(result.text, phi, result.offsets))


class Deidentify(beam.PTransform):
    """Notes -> ``{"notes": Note (de-identified), "note_rows": dict, "errors": dict}``."""

    def __init__(self, engine_config: dict | None, mode: str, run_id: str, salt_env: str = DEFAULT_SALT_ENV) -> None:
        super().__init__()
        self.engine_config = engine_config
        self.mode = mode
        self.run_id = run_id
        self.salt_env = salt_env

    def expand(self, notes):
        out = notes | "BatchNotes" >> beam.BatchElements(min_batch_size=1, max_batch_size=MAX_BATCH_NOTES) \
            | "FindAndReplacePhi" >> beam.ParDo(
            DeidentifyNotes(self.engine_config, self.mode, self.run_id, self.salt_env)).with_outputs(
            ERRORS_TAG, NOTE_ROWS_TAG, main="notes")
        return {"notes": out.notes, "note_rows": out[NOTE_ROWS_TAG], "errors": out[ERRORS_TAG]}


class ReadAndDeidentify(beam.PTransform):
    """ReadNotes, then Deidentify unless ``deid`` is None (corpora already de-identified): what every job that
    feeds models starts with. Returns ``{"notes", "note_rows", "errors"}`` over both stages."""

    def __init__(self, input_spec: str, run_id: str, read_config: ReadConfig, deid: dict | None) -> None:
        super().__init__()
        self.input_spec = input_spec
        self.run_id = run_id
        self.read_config = read_config
        self.deid = deid

    def expand(self, pbegin):
        read = pbegin | "ReadNotes" >> ReadNotes(self.input_spec, self.run_id, config=self.read_config)
        if self.deid is None:
            return read
        deid = read["notes"] | "Deidentify" >> Deidentify(run_id=self.run_id, **self.deid)
        return {"notes": deid["notes"],
                "note_rows": (read["note_rows"], deid["note_rows"]) | "NoteRows" >> beam.Flatten(),
                "errors": (read["errors"], deid["errors"]) | "Errors" >> beam.Flatten()}


def phi_rows(note: Note, run_id: str) -> list[dict]:
    """The ``phi/`` rows of a de-identified note: offsets and labels, never the PHI text."""
    return [schemas.row(schemas.PHI, note_id=note.note_id, start=start, end=end, label=label, run_id=run_id)
            for start, end, label in (note.deid.phi if note.deid else ())]


def deidentified_note_row(note: Note, run_id: str) -> dict:
    """The ``notes/`` row of ``pipelines.deidentify``: the contract's note columns plus the de-identified text."""
    return schemas.row(schemas.DEID_NOTES, note_id=note.note_id, source=note.source, characters=len(note.text),
                       status="deidentified", encoding=note.encoding, run_id=run_id, text=note.working_text,
                       **note.meta)


def describe_deid(engine_config: dict | None, mode: str, salt_env: str) -> dict:
    """What a run manifest records of de-identification: mode and a fingerprint of the configuration. A fitted
    configuration holds a site's clinician and place names, so it is never copied into outputs."""
    canonical = json.dumps(engine_config, sort_keys=True) if engine_config else "default"
    return {"mode": mode, "salt_env": salt_env, "engine_version": ENGINE_VERSION,
            "config_sha256": hashlib.sha256(canonical.encode()).hexdigest()}
