"""Incremental runs: skip notes the same model name and version already annotated, or notes older than ``--since``.

The state is ``OUTPUT/state/run_date=D/*.parquet`` (``schemas.STATE``): note id, SHA-256 of the ORIGINAL text,
model name and version, one row per note a run annotated, committed only when that run succeeded. A note is
annotated again when its text changed (new hash) or the model version did. The partition of the run's own date is
ignored, because a rerun of that date replaces it (so a rerun redoes exactly what that date did).

Each worker loads the state once (``setup``) as a sorted array of 64-bit keys: 8 bytes a note, so ten million
annotated notes cost 80 MB, and note text is never shuffled to join against it.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Iterator

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from ehr_models.records import Note
from transforms import schemas
from transforms.io import matched

_LOGGER = logging.getLogger(__name__)
SKIPPED_TAG = "skipped"
STATE_DIR = "state"
UNCHANGED, BEFORE_SINCE = "already_annotated", "before_since"


def content_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def state_key(note_id: str, sha256: str) -> int:
    """The 64-bit key of one (note id, content) pair in the loaded state."""
    digest = hashlib.blake2b(f"{note_id}\x1f{sha256}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def load_state_keys(output: str, model_name: str, model_version: str, exclude_run_date: str | None) -> np.ndarray:
    """Sorted keys of every (note id, content) the model version annotated in earlier runs of ``output``."""
    keys = []
    for path in matched(FileSystems.join(output, STATE_DIR, "run_date=*", "*.parquet")):
        if exclude_run_date and f"/run_date={exclude_run_date}/" in path:
            continue
        with FileSystems.open(path) as handle:
            table = pq.read_table(handle, columns=["note_id", "content_sha256", "model_name", "model_version"])
        for note_id, sha, name, version in zip(*(table.column(c).to_pylist() for c in table.column_names)):
            if name == model_name and version == model_version:
                keys.append(state_key(note_id, sha))
    return np.unique(np.asarray(keys, dtype=np.uint64))


def state_row(note: Note, model_name: str, model_version: str, run_id: str) -> dict:
    return schemas.row(schemas.STATE, note_id=note.note_id, content_sha256=content_sha256(note.text),
                       model_name=model_name, model_version=model_version, run_id=run_id)


def skipped_row(note: Note, reason: str) -> dict:
    """What the launcher counts for a skipped note (staged only; never written to the output)."""
    return {"note_id": note.note_id, "reason": reason}


class SkipDone(beam.DoFn):
    """``Note`` -> the notes to annotate (main) and ``skipped`` rows for notes already annotated by this model
    version (``incremental``) or dated before ``since`` (ISO date string compared with ``note_date``; notes
    without a date are kept)."""

    def __init__(self, output: str, model_name: str, model_version: str, run_date: str, incremental: bool = True,
                 since: str | None = None) -> None:
        self.output = output
        self.model_name = model_name
        self.model_version = model_version
        self.run_date = run_date
        self.incremental = incremental
        self.since = since
        self._keys = np.zeros(0, dtype=np.uint64)

    def setup(self) -> None:
        if self.incremental:
            self._keys = load_state_keys(self.output, self.model_name, self.model_version, self.run_date)
            _LOGGER.info("%d notes already annotated by %s %s", len(self._keys), self.model_name, self.model_version)
        self._skipped = Metrics.counter("incremental", "notes_skipped")

    def process(self, note: Note) -> Iterator:
        reason = None
        note_date = note.meta.get("note_date")
        if self.since and note_date and note_date[:10] < self.since:
            reason = BEFORE_SINCE
        elif len(self._keys):
            key = np.uint64(state_key(note.note_id, content_sha256(note.text)))
            at = int(np.searchsorted(self._keys, key))
            if at < len(self._keys) and self._keys[at] == key:
                reason = UNCHANGED
        if reason is None:
            yield note
            return
        self._skipped.inc()
        yield beam.pvalue.TaggedOutput(SKIPPED_TAG, skipped_row(note, reason))
