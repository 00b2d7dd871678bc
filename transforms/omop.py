"""OMOP CDM v5.4 NOTE_NLP rows for the entities of one note (``pipelines.annotate --omop``).

OMOP's ``note_id`` is an integer. A note id that is a decimal integer below 2**63 is kept as is (MIMIC ROW_IDs,
hospital note numbers); any other id maps to the first 63 bits of its BLAKE2b hash, stable across runs and
machines, and ``note_id_source`` keeps the original id so the mapping can always be joined back. Concept ids are 0
(no vocabulary mapping yet); ``snippet`` is a window of the de-identified text, so no raw PHI leaves the pipeline.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from ehr_models.annotation import Annotation
from ehr_models.records import Note
from transforms import schemas

SNIPPET_CONTEXT = 60  # characters of de-identified context on each side of the entity
SNIPPET_MAX = 250  # CDM v5.4: snippet varchar(250)
_INTEGER = re.compile(r"[0-9]{1,19}")


def stable_id(*parts: str) -> int:
    """A non-negative 63-bit integer from ``parts`` (BLAKE2b), identical on every machine and run."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def omop_note_id(note_id: str) -> int:
    """The integer OMOP note_id of a note id (see the module docstring)."""
    if _INTEGER.fullmatch(note_id) and int(note_id) < 2**63:
        return int(note_id)
    return stable_id("note", note_id)


def _snippet(text: str, start: int, end: int) -> str:
    left = max(0, start - SNIPPET_CONTEXT)
    right = min(len(text), end + SNIPPET_CONTEXT)
    snippet = " ".join(text[left:right].split())
    return snippet[:SNIPPET_MAX]


def note_nlp_rows(note: Note, annotation: Annotation, kept: dict[int, str], model_name: str, model_version: str,
                  run_id: str, when: datetime.datetime) -> list[dict]:
    """NOTE_NLP rows of the entities ``kept`` (annotation index -> entity id) of ``note``. ``term_modifiers`` lists
    the label and, for a medication, its linked attributes as ``label=text`` pairs."""
    working = note.working_text
    attributes: dict[int, list[str]] = {}
    for relation in annotation.relations:
        if relation.head in kept and relation.tail in kept:
            tail = annotation.entities[relation.tail]
            attributes.setdefault(relation.head, []).append(
                f"{tail.label}={' '.join(working[tail.start:tail.end].split())}")
    note_number = omop_note_id(note.note_id)
    rows = []
    for index, entity_id in kept.items():
        entity = annotation.entities[index]
        start, end = note.to_original(entity.start, entity.end)
        modifiers = ";".join([f"label={entity.label}"] + attributes.get(index, []))
        rows.append(schemas.row(
            schemas.NOTE_NLP, note_nlp_id=stable_id("note_nlp", note.note_id, entity_id, model_name, model_version),
            note_id=note_number, section_concept_id=0, snippet=_snippet(working, entity.start, entity.end),
            offset=str(start), lexical_variant=note.text[start:end][:250], note_nlp_concept_id=0,
            note_nlp_source_concept_id=0, nlp_system=f"ehrbeam {model_name} {model_version}"[:250],
            nlp_date=when.date(), nlp_datetime=when, term_exists="Y", term_temporal=None,
            term_modifiers=modifiers[:2000], offset_start=start, offset_end=end, note_id_source=note.note_id,
            entity_id=entity_id, label=entity.label, run_id=run_id))
    return rows
