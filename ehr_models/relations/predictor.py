"""``ModelLinker``: the trained relation model behind the ``Linker`` interface, loaded from a model directory.

The directory is an ``ehr_models.package`` package of kind ``relations``: config.json (network, window and
decoding settings, training-data fingerprint, metrics), weights.safetensors, vocab.json (words only from the
embeddings vocabulary or seen in two or more training notes), labels.json (the tag, role and break sets).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from ehr_models.annotation import Entity, Relation
from ehr_models.package import load_package
from ehr_models.relations.batches import collate
from ehr_models.relations.candidates import BREAKS, ROLES, TAGS, Pair, WindowSettings, candidate_pairs
from ehr_models.relations.linker import PACKAGED_MODEL
from ehr_models.relations.model import RelationConfig, RelationNet
from ehr_models.tagging.vocab import Vocabulary

logger = logging.getLogger(__name__)
KIND = "relations"


@dataclass
class Decoding:
    threshold: float = 0.5  # a pair scoring at least this is a relation
    floor: float = 0.2  # an attribute with no pair over threshold still takes its best one if it scores this

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def decode(pairs: Sequence[Pair], probabilities: Sequence[float], decoding: Decoding) -> list[Relation]:
    """Relations from scored candidates, sorted by (head, tail): every pair over the threshold, and for an
    attribute with none, its best pair when that clears the floor (the guidelines give every attribute an owner)."""
    best: dict[int, tuple[float, int]] = {}
    chosen = []
    for pair, p in zip(pairs, probabilities):
        if p >= decoding.threshold:
            chosen.append(Relation(pair.head, pair.tail, round(float(p), 4)))
        if pair.tail not in best or p > best[pair.tail][0]:
            best[pair.tail] = (p, pair.head)
    linked = {r.tail for r in chosen}
    chosen += [Relation(head, tail, round(float(p), 4)) for tail, (p, head) in best.items()
               if tail not in linked and p >= decoding.floor]
    return sorted(chosen, key=lambda r: (r.head, r.tail))


class RelationModel:
    """A loaded network with its vocabulary, window and decoding settings; ``score`` and ``link``."""

    def __init__(self, net: RelationNet, vocabulary: Vocabulary, window: WindowSettings, decoding: Decoding,
                 batch_size: int = 256) -> None:
        self.net = net
        self.vocabulary = vocabulary
        self.window = window
        self.decoding = decoding
        self.batch_size = batch_size

    def score(self, pairs: Sequence[Pair]) -> list[float]:
        """Probabilities, one per pair, in the order given (the network in eval mode).

        Pairs go through the network in batches of similar window length (sorted by length, so padding stays
        small); each pair's score does not depend on its batch mates.
        """
        self.net.eval()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].words))
        out = [0.0] * len(pairs)
        with torch.inference_mode():
            for i in range(0, len(order), self.batch_size):
                chunk = order[i : i + self.batch_size]
                logits = self.net(collate([pairs[j] for j in chunk], self.vocabulary))
                for j, p in zip(chunk, torch.sigmoid(logits).tolist()):
                    out[j] = p
        return out

    def link(self, text: str, entities: Sequence[Entity]) -> list[Relation]:
        return self.link_batch([text], [entities])[0]

    def link_batch(self, texts: Sequence[str], entity_lists: Sequence[Sequence[Entity]]) -> list[list[Relation]]:
        """``link`` for each (text, entities), with every note's candidate pairs scored in shared batches."""
        per_note = [candidate_pairs(text, entities, self.window) for text, entities in zip(texts, entity_lists)]
        scores = self.score([pair for pairs in per_note for pair in pairs])
        relations, start = [], 0
        for pairs in per_note:
            relations.append(decode(pairs, scores[start : start + len(pairs)], self.decoding) if pairs else [])
            start += len(pairs)
        return relations

    @classmethod
    def load(cls, directory: Path | str) -> "RelationModel":
        """Read a relations package (safetensors weights: loading runs no code); ``ValueError`` for another kind."""
        package = load_package(directory)
        if package.kind != KIND:
            raise ValueError(f"{directory}: a {package.kind!r} package, not {KIND!r}")
        if package.labels != labels_block():
            raise ValueError(f"{directory}: built for other entity tags, roles or breaks than this code's")
        settings = package.config["model"]
        net = RelationNet(RelationConfig(**settings["net"]))
        net.load_state_dict({k: v.float() for k, v in package.tensors.items()})
        return cls(net, Vocabulary(package.vocabularies["words"]), WindowSettings(**settings["window"]),
                   Decoding(**settings["decoding"]))


def labels_block() -> dict:
    return {"tags": list(TAGS), "roles": list(ROLES), "breaks": list(BREAKS)}


class ModelLinker:
    """``{"type": "model", "model": DIR}``: links with the relation model in DIR (default: the packaged one).
    The model loads on first use (or ``warm_up``)."""

    def __init__(self, model: Path | str | None = None) -> None:
        self.model = Path(model) if model else PACKAGED_MODEL
        self._loaded: RelationModel | None = None
        self._config: dict | None = None

    @property
    def _identity(self) -> dict:
        if self._config is None:
            with open(self.model / "config.json", encoding="utf-8") as handle:
                self._config = json.load(handle)
        return self._config

    @property
    def name(self) -> str:
        return self._identity.get("name", KIND)

    @property
    def version(self) -> str:
        return self._identity.get("version", "0")

    def warm_up(self) -> None:
        if self._loaded is None:
            self._loaded = RelationModel.load(self.model)

    def link(self, text: str, entities: Sequence[Entity]) -> list[Relation]:
        """Relations sorted by (head, tail); attributes with no likely owner stay unlinked."""
        return self.link_batch([text], [entities])[0]

    def link_batch(self, texts: Sequence[str], entity_lists: Sequence[Sequence[Entity]]) -> list[list[Relation]]:
        """``link`` for each note; all the notes' candidate pairs share the network's batches (one pass for a
        typical batch of notes instead of one a note)."""
        self.warm_up()
        return self._loaded.link_batch(texts, entity_lists)

    def to_dict(self) -> dict:
        return {"type": "model", "model": str(self.model), "name": self.name, "version": self.version}

    @classmethod
    def from_dict(cls, config: dict) -> "ModelLinker":
        return cls(config.get("model"))
