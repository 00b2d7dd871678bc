"""Annotators by name: the pipeline receives a config dict (or a name), never a Python object built elsewhere."""

from __future__ import annotations

from typing import Callable

from ehr_models.annotation import Annotator
from ehr_models.rules import RuleAnnotator



# The neural annotators import torch: their modules load only when one is built.
def _tagger(config: dict) -> Annotator:
    from ehr_models.tagging.annotator import TaggerAnnotator

    return TaggerAnnotator.from_dict(config)


def _medication(config: dict) -> Annotator:
    from ehr_models.medication.annotator import MedicationAnnotator

    return MedicationAnnotator.from_dict(config)


_FACTORIES: dict[str, Callable[[dict], Annotator]] = {"rules": RuleAnnotator.from_dict, "tagger": _tagger,
                                                      "medication": _medication}


def register(kind: str, factory: Callable[[dict], Annotator]) -> None:
    _FACTORIES[kind] = factory


def available() -> list[str]:
    return sorted(_FACTORIES)


def build_annotator(config: dict | str) -> Annotator:
    """Build an annotator from ``{"type": NAME, ...}`` (or just ``NAME``); raises ``KeyError`` for unknown types."""
    if isinstance(config, str):
        config = {"type": config}
    kind = config.get("type")
    if kind not in _FACTORIES:
        raise KeyError(f"unknown annotator type {kind!r}; available: {', '.join(available())}")
    return _FACTORIES[kind](config)
