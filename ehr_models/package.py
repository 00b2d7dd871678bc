"""A trained model is a directory; this module writes and reads it, with no pickled code in it.

    config.json          format, kind, name, version, creation time, ehr_models and normalization versions, and the
                         network's settings (``model``): enough to rebuild the network without the training code
    weights.safetensors  the parameters (safetensors: loading runs no code)
    vocab.json           {"words": [...], "chars": [...]}: row i of an embedding is item i
    labels.json          {"scheme": "BIOES", "labels": [...], "tags": [...]}
    training.json        the training data's fingerprint and size, the arguments, seed and time
    metrics.json         dev/test scores measured when it was saved

A package is written to a temporary sibling directory and renamed into place, so a reader (or a crash during a
checkpoint) never sees half a model.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ehr_models import __version__
from ehr_models.text import NORMALIZATION_VERSION

logger = logging.getLogger(__name__)

FORMAT = "ehrbeam-model"
FORMAT_VERSION = 1
FILES = ("config.json", "weights.safetensors", "vocab.json", "labels.json", "training.json", "metrics.json")


@dataclass
class ModelPackage:
    config: dict  # config.json: identity and the network's settings under "model"
    tensors: dict[str, torch.Tensor]
    vocabularies: dict[str, list[str]]
    labels: dict
    training: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.config["kind"]

    @property
    def name(self) -> str:
        return self.config.get("name", self.kind)

    @property
    def version(self) -> str:
        return self.config.get("version", "0")


def new_config(kind: str, name: str, version: str, model: dict) -> dict:
    """The identity block every package starts with."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "name": name, "version": version,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "ehr_models_version": __version__,
            "normalization_version": NORMALIZATION_VERSION, "model": model}


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, ensure_ascii=False)
        handle.write("\n")


def save_package(directory: Path | str, package: ModelPackage) -> Path:
    """Write ``package`` to ``directory`` (replacing what was there); returns the directory."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a model directory is meant to be shared
        _write_json(staging / "config.json", package.config)
        save_file({k: v.detach().contiguous().cpu() for k, v in package.tensors.items()},
                  str(staging / "weights.safetensors"))
        (staging / "weights.safetensors").chmod(0o644)
        _write_json(staging / "vocab.json", package.vocabularies)
        _write_json(staging / "labels.json", package.labels)
        _write_json(staging / "training.json", package.training)
        _write_json(staging / "metrics.json", package.metrics)
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
            directory.rename(old)
            staging.rename(directory)
            shutil.rmtree(old)
        else:
            staging.rename(directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return directory


def _read_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def load_package(directory: Path | str) -> ModelPackage:
    """Read a model directory; raises ``ValueError`` for another format or a different token normalization."""
    directory = Path(directory)
    if not (directory / "config.json").exists():
        raise FileNotFoundError(f"{directory} is not a model directory (no config.json)")
    config = _read_json(directory / "config.json")
    if config.get("format") != FORMAT or config.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(f"{directory}: not an {FORMAT} package of version <= {FORMAT_VERSION}")
    if config.get("normalization_version") != NORMALIZATION_VERSION:
        # A model trained on differently normalized tokens would look up the wrong rows, silently.
        raise ValueError(f"{directory}: trained with token normalization {config.get('normalization_version')!r}, "
                         f"this code normalizes with {NORMALIZATION_VERSION!r}")
    optional = {name: _read_json(directory / f"{name}.json") if (directory / f"{name}.json").exists() else {}
                for name in ("training", "metrics")}
    return ModelPackage(config, load_file(str(directory / "weights.safetensors")),
                        _read_json(directory / "vocab.json"), _read_json(directory / "labels.json"), **optional)


def update_metrics(directory: Path | str, metrics: dict) -> None:
    """Merge ``metrics`` into a saved package's ``metrics.json`` (e.g. test scores measured after training)."""
    path = Path(directory) / "metrics.json"
    current = _read_json(path) if path.exists() else {}
    current.update(metrics)
    _write_json(path, current)


def load_model(directory: Path | str, **options):
    """The ready-to-use model of a package (``kind`` ``tagger``: an ``ehr_models.tagging.predictor.Tagger``)."""
    package = load_package(directory)
    if package.kind == "tagger":
        from ehr_models.tagging.predictor import Tagger

        return Tagger.from_package(package, **options)
    raise ValueError(f"{directory}: unknown model kind {package.kind!r}")
