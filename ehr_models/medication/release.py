"""Package a trained medication NER tagger for shipping with the project: half-precision weights (the tagger casts
them back to float32 on load), no vocabulary word that is a gold PHI word of the PhysioNet deid corpus
(``ehr_models.embeddings.privacy.phi_vocabulary``: such a word reads as ``<unk>``), the per-label sources chosen on
the internal dev split (``hybrid.json``), and the README kept across rebuilds.

    python -m ehr_models.medication.release /tmp/med-ner ehr_models/resources/models/medication-ner \\
        --sources medication=union --note choice.json
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch

from ehr_models.annotation import LABELS
from ehr_models.package import ModelPackage, load_package, save_package

logger = logging.getLogger(__name__)


def drop_words(package: ModelPackage, banned: set[str]) -> int:
    """Remove ``banned`` words and their embedding rows from a tagger package; returns how many went."""
    words = package.vocabularies["words"]
    keep = [i for i, word in enumerate(words) if i < 2 or word not in banned]  # rows 0, 1: <pad>, <unk>
    package.tensors["words.weight"] = package.tensors["words.weight"][keep]
    package.vocabularies["words"] = [words[i] for i in keep]
    return len(words) - len(keep)


def release(source: Path, target: Path, sources: dict[str, str], note: dict | None = None,
            data_dir: Path | None = None) -> Path:
    """Write ``source`` (a tagger package) to ``target`` in float16, without PHI words, with ``hybrid.json``;
    returns ``target``. Raises ``FileNotFoundError`` without the PhysioNet corpus (the PHI check needs it)."""
    from ehr_models.embeddings.privacy import phi_vocabulary
    from ehr_models.formats.corpora import default_data_dir

    package = load_package(source)
    removed = drop_words(package, phi_vocabulary(data_dir or default_data_dir()))
    package.tensors = {name: t.to(torch.float16) if t.is_floating_point() else t for name, t in package.tensors.items()}
    package.training = {**package.training, "released_from": str(source), "weights_dtype": "float16",
                        "phi_words_excluded": removed}
    readme = (target / "README.md").read_text(encoding="utf-8") if (target / "README.md").exists() else None
    save_package(target, package)
    if readme is not None:
        (target / "README.md").write_text(readme, encoding="utf-8")
    hybrid = {"sources": {label: sources.get(label, "tagger") for label in LABELS}, "choice": note or {}}
    (target / "hybrid.json").write_text(json.dumps(hybrid, indent=1) + "\n", encoding="utf-8")
    logger.info("released %s: %.1f MB of weights", target, (target / "weights.safetensors").stat().st_size / 1e6)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehr_models.medication.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="trained tagger directory")
    parser.add_argument("target", type=Path, help="package directory to (re)write")
    parser.add_argument("--sources", default="", help="LABEL=tagger|rules|union,... (default: tagger for all)")
    parser.add_argument("--note", type=Path,
                        help="JSON file kept in hybrid.json under \"choice\" (how the sources were chosen)")
    parser.add_argument("--data-dir", type=Path, help="shared corpora (default ../shared/data)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sources = dict(pair.split("=", 1) for pair in args.sources.split(",") if pair)
    note = json.loads(args.note.read_text(encoding="utf-8")) if args.note else None
    release(args.source, args.target, sources, note, args.data_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
