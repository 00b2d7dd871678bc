"""The output contract: one place defines the Parquet schema of every dataset a pipeline writes.

Extend, never break: add nullable columns at the end; never rename, retype or drop one.
"""

from __future__ import annotations

import pyarrow as pa

from ehr_models.annotation import LABELS
from ehr_models.records import META_KEYS

ENTITIES = pa.schema([
    ("note_id", pa.string()),
    ("entity_id", pa.string()),
    ("label", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("text", pa.string()),
    ("score", pa.float64()),
    ("model_name", pa.string()),
    ("model_version", pa.string()),
    ("run_id", pa.string()),
])

RELATIONS = pa.schema([
    ("note_id", pa.string()),
    ("head_id", pa.string()),
    ("tail_id", pa.string()),
    ("label", pa.string()),
    ("score", pa.float64()),
    ("model_name", pa.string()),
    ("model_version", pa.string()),
    ("run_id", pa.string()),
])

NOTES = pa.schema(
    [
        ("note_id", pa.string()),
        ("source", pa.string()),
        ("characters", pa.int64()),
        ("tokens", pa.int64()),
        ("status", pa.string()),  # one of NOTE_STATUSES
        ("encoding", pa.string()),
    ]
    + [(key, pa.string()) for key in META_KEYS]
    + [("run_id", pa.string())]
)

ERRORS = pa.schema([
    ("note_id", pa.string()),  # null when the input failed before a note id was known
    ("source", pa.string()),
    ("stage", pa.string()),
    ("error_type", pa.string()),
    ("message", pa.string()),  # built from ids and counts only: never note text
    ("run_id", pa.string()),
])

# pipelines.deidentify: PHI spans as offsets into the ORIGINAL note and labels; never the PHI text.
PHI = pa.schema([
    ("note_id", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("label", pa.string()),
    ("run_id", pa.string()),
])

# pipelines.deidentify's notes/: the note columns plus the de-identified text.
DEID_NOTES = pa.schema(list(NOTES) + [("text", pa.string())])

# pipelines.annotate's incremental state: which note contents each model version has annotated. One row per note
# annotated; a later run skips a note whose (note_id, content_sha256) the same model name and version already has.
STATE = pa.schema([
    ("note_id", pa.string()),
    ("content_sha256", pa.string()),  # of the ORIGINAL note text: a changed note is annotated again
    ("model_name", pa.string()),
    ("model_version", pa.string()),
    ("run_id", pa.string()),
])

# pipelines.annotate --omop: OMOP CDM v5.4 NOTE_NLP, one row per entity, then ehrbeam's own columns. OMOP wants an
# integer note_id: a note id that is a decimal integer is kept as is, any other maps to a stable 63-bit hash
# (``transforms.omop.omop_note_id``); note_id_source always holds the original id.
NOTE_NLP = pa.schema([
    ("note_nlp_id", pa.int64()),
    ("note_id", pa.int64()),
    ("section_concept_id", pa.int64()),
    ("snippet", pa.string()),  # a window of the DE-IDENTIFIED text around the entity: never raw PHI
    ("offset", pa.string()),  # CDM v5.4's varchar "offset": the start offset, as text
    ("lexical_variant", pa.string()),
    ("note_nlp_concept_id", pa.int64()),
    ("note_nlp_source_concept_id", pa.int64()),
    ("nlp_system", pa.string()),
    ("nlp_date", pa.date32()),
    ("nlp_datetime", pa.timestamp("s", tz="UTC")),
    ("term_exists", pa.string()),
    ("term_temporal", pa.string()),
    ("term_modifiers", pa.string()),
    ("offset_start", pa.int64()),  # integer offsets into the ORIGINAL note, as the pending OHDSI proposal has it
    ("offset_end", pa.int64()),
    ("note_id_source", pa.string()),
    ("entity_id", pa.string()),
    ("label", pa.string()),
    ("run_id", pa.string()),
])

DATASETS: dict[str, pa.Schema] = {"entities": ENTITIES, "relations": RELATIONS, "notes": NOTES, "errors": ERRORS}
# What a pipelines.annotate run writes besides DATASETS (state always; note_nlp with --omop).
RUN_DATASETS: dict[str, pa.Schema] = {**DATASETS, "state": STATE, "note_nlp": NOTE_NLP}
DEID_DATASETS: dict[str, pa.Schema] = {"notes": DEID_NOTES, "phi": PHI, "errors": ERRORS}
NOTE_STATUSES = ("annotated", "deidentified", "error", "skipped")
ENTITY_LABELS = LABELS


def row(schema: pa.Schema, **values) -> dict:
    """A row dict with every column of ``schema`` (missing ones null); raises ``KeyError`` on unknown columns."""
    unknown = set(values) - set(schema.names)
    if unknown:
        raise KeyError(f"columns not in the schema: {sorted(unknown)}")
    return {name: values.get(name) for name in schema.names}
