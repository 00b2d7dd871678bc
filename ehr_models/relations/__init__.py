"""Relation linkers: which medication owns each attribute (``build_linker``; ``"nearest"`` or a trained ``"model"``)."""

from ehr_models.relations.linker import Linker, NearestLinker, build_linker, default_linker_config

__all__ = ["Linker", "NearestLinker", "build_linker", "default_linker_config"]
