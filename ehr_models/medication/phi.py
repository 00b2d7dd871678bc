"""Training text as the model sees it at run time: the gold PHI of PhysioNet notes masked like the de-identifier
masks it (``[**NAME**]``), with every annotated span moved to the masked text.

The pipeline de-identifies before annotating, so a model trained on raw notes would learn from names and dates it
never meets in production, and would carry them in its vocabulary. Masking uses ``ehr_models.deid.transform.mask``
(the run-time mask form) and the PhysioNet gold types mapped to the de-identifier's labels.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ehr_models.deid.metrics import GOLD_LABELS
from ehr_models.deid.phi import PhiSpan
from ehr_models.deid.transform import mask
from ehr_models.formats.corpora import default_data_dir
from ehr_models.formats.examples import Document
from ehr_models.formats.physionet import read_phi

logger = logging.getLogger(__name__)


def physionet_gold_phi(data_dir: Path | None = None) -> dict[str, list[PhiSpan]]:
    """Gold PHI of ``deid-physionet/dev`` by note id (``PATIENT-NOTE``), merged, typed with the deid labels."""
    path = (data_dir or default_data_dir()) / "deid-physionet" / "dev" / "id-phi.phrase"
    spans: dict[str, list[PhiSpan]] = {}
    with open(path, encoding="utf-8") as handle:
        for phi in read_phi(handle):
            spans.setdefault(phi.note_id, []).append(PhiSpan(phi.start, phi.end, GOLD_LABELS.get(phi.label, "OTHER"),
                                                             "gold"))
    return {note_id: _disjoint(found) for note_id, found in spans.items()}


def _disjoint(spans: list[PhiSpan]) -> list[PhiSpan]:
    """Sorted spans with overlaps folded into the earlier span (``mask`` replaces each character once)."""
    result: list[PhiSpan] = []
    for span in sorted(spans):
        if result and span.start < result[-1].end:
            last = result[-1]
            result[-1] = PhiSpan(last.start, max(last.end, span.end), last.label, last.source)
        else:
            result.append(span)
    return result


def mask_document(document: Document, phi: list[PhiSpan]) -> Document:
    """``document`` with ``phi`` (sorted, disjoint) masked and its spans moved to the masked text.

    A span touching PHI is widened to the masks it touches (the model never sees the original characters).
    """
    if not phi:
        return document
    result = mask(document.text, phi)
    spans = tuple((*result.offsets.from_original(start, end), label) for start, end, label in document.spans)
    return Document(document.id, result.text, spans, document.links)


def to_original_entities(masked, entities) -> list:
    """``entities`` found in ``masked.text`` (a ``DeidResult``) moved back to the original note's offsets."""
    from ehr_models.annotation import Entity

    return [Entity(*masked.offsets.to_original(e.start, e.end), e.label, e.score) for e in entities]
