"""Apply PHI spans to a text: masking (``[**NAME**]``) or surrogates, with the offset map back to the original."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ehr_models.deid.offsets import OffsetMap
from ehr_models.deid.phi import PhiSpan
from ehr_models.deid.surrogates import Surrogates

MASK_FORMAT = "[**{label}**]"


@dataclass(frozen=True)
class DeidResult:
    """``text`` is de-identified; ``spans`` index the ORIGINAL text; ``offsets`` maps ``text`` back to it."""

    text: str
    spans: list[PhiSpan]
    offsets: OffsetMap


def replace(text: str, spans: list[PhiSpan], value: Callable[[PhiSpan], str]) -> DeidResult:
    """Replace each (non-overlapping, sorted) span by ``value(span)``."""
    pieces: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    cursor = new_length = 0
    for span in spans:
        pieces.append(text[cursor : span.start])
        new_length += span.start - cursor
        replacement = value(span)
        pieces.append(replacement)
        segments.append((new_length, new_length + len(replacement), span.start, span.end))
        new_length += len(replacement)
        cursor = span.end
    pieces.append(text[cursor:])
    return DeidResult("".join(pieces), list(spans), OffsetMap(tuple(segments)))


def mask(text: str, spans: list[PhiSpan], form: str = MASK_FORMAT) -> DeidResult:
    return replace(text, spans, lambda span: form.format(label=span.label))


def surrogate(text: str, spans: list[PhiSpan], salt: str | bytes, patient_id: str) -> DeidResult:
    """Realistic stand-ins; one date shift per ``patient_id``; the same original word gets the same stand-in."""
    surrogates = Surrogates(salt, patient_id)
    return replace(text, spans, lambda span: surrogates.value(span.label, text[span.start : span.end]))
