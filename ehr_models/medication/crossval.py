"""Cross-validation over the gold TRAIN notes: out-of-fold predictions for every train note, and the per-label
sources (tagger, rules, union) chosen on all of them instead of on one small dev split.

    python -m ehr_models.medication.crossval --folds 4 --output /tmp/cv -- \\
        --embeddings ehr_models/resources/embeddings/clinical-fasttext-100d --features drug_lexicon --epochs 30 \\
        --min-count 2 --seed 13 --threads 1

Each fold trains ``python -m ehr_models.train`` with the arguments after ``--`` on ``gold/medication::restIofK``
(``--mask-phi``, no dev), then tags ``foldIofK`` (PhysioNet notes masked with their gold PHI first, as the pipeline
masks them, offsets mapped back). A fold whose model directory exists is not retrained. Writes
``OUTPUT/predictions.jsonl`` (ids and spans, no text) and ``OUTPUT/choice.json`` (``sources`` for
``ehr_models.medication.release --note``, and the pooled scores). The 65 test notes are never read.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Sequence

from ehr_models.annotation import LABELS, Entity
from ehr_models.evaluation.gold import GoldDocument, load_gold
from ehr_models.evaluation.medication import gold_spans
from ehr_models.evaluation.spans import Span, score_entities
from ehr_models.medication.splits import fold_of

logger = logging.getLogger(__name__)


def choose_label_sources(tagged: Sequence[Sequence[Entity]], ruled: Sequence[Sequence[Entity]],
                         gold: Sequence[Sequence[Span]], min_gold: int = 10) -> dict:
    """Per label, the source with the best exact F1 over all the notes; the neural ones (tagger, union) only
    where they beat the rules, and the rules for labels with fewer than ``min_gold`` gold spans (too few to tell).
    Returns ``{"sources": {label: source}, "scores": {label: {source: counts}}, "min_gold", "notes"}``."""
    from ehr_models.medication.annotator import SOURCES, combine

    table: dict = {}
    for label in LABELS:
        for source in SOURCES:
            found = [[(e.start, e.end, e.label) for e in combine(t, r, {label: source})]
                     for t, r in zip(tagged, ruled)]
            counts = score_entities(zip(found, gold)).by_label.get(label)
            table.setdefault(label, {})[source] = counts.to_dict() if counts else None
    chosen = {}
    for label, scores in table.items():
        f1 = {source: (scores[source] or {}).get("f1", 0.0) for source in SOURCES}
        support = (scores["rules"] or {}).get("tp", 0) + (scores["rules"] or {}).get("fn", 0)
        best = max(("tagger", "union"), key=lambda source: f1[source])
        chosen[label] = best if support >= min_gold and f1[best] > f1["rules"] else "rules"
    return {"sources": chosen, "scores": table, "min_gold": min_gold, "notes": len(gold)}


def masked_predictions(tagger, documents: Sequence[GoldDocument], data_dir: Path | None = None) -> list[list[Entity]]:
    """The tagger's entities for each document, PhysioNet notes masked with their gold PHI first (offsets mapped
    back to the original text), batched across notes."""
    from ehr_models.deid.transform import mask
    from ehr_models.medication.phi import physionet_gold_phi, to_original_entities

    phi = physionet_gold_phi(data_dir) if any(d.note.source == "physionet" for d in documents) else {}
    masked = [mask(d.text, phi[d.note.note_id]) if d.note.source == "physionet" and phi.get(d.note.note_id)
              else None for d in documents]
    found = tagger.predict_batch([m.text if m else d.text for m, d in zip(masked, documents)])
    return [to_original_entities(m, a.entities) if m else list(a.entities) for m, a in zip(masked, found)]


def run_fold(fold: int, folds: int, output: Path, train_args: Sequence[str], gold_dir: str) -> Path:
    """Train fold ``fold``'s model unless its directory holds one; returns the directory."""
    from ehr_models.train import main as train_main

    model = output / f"fold{fold}"
    if (model / "weights.safetensors").exists():
        logger.info("fold %d: model exists, not retrained", fold)
        return model
    code = train_main(["--train", f"{gold_dir}::rest{fold}of{folds}", "--format", "medication-json", "--mask-phi",
                       "--dev-fraction", "0", "--quiet", "--output", str(model), *train_args])
    if code:
        raise RuntimeError(f"training fold {fold} failed with exit code {code}")
    return model


def crossvalidate(folds: int, output: Path, train_args: Sequence[str], gold_dir: str = "gold/medication",
                  threads: int = 1, min_gold: int = 10) -> dict:
    """Train every fold, tag its held-out notes, pool them, choose the sources; writes and returns the choice."""
    from ehr_models.rules import RuleAnnotator
    from ehr_models.tagging.annotator import TaggerAnnotator

    output.mkdir(parents=True, exist_ok=True)
    documents = load_gold(Path(gold_dir), splits=("train",))
    rules = RuleAnnotator()
    tagged: list[list[Entity]] = []
    ruled: list[list[Entity]] = []
    ordered: list[GoldDocument] = []
    with open(output / "predictions.jsonl", "w", encoding="utf-8") as handle:
        for fold in range(folds):
            held = [d for d in documents if fold_of(d.note.source, d.note.note_id, folds) == fold]
            model = run_fold(fold, folds, output, train_args, gold_dir)
            fold_tagged = masked_predictions(TaggerAnnotator(str(model), threads=threads), held)
            for document, entities in zip(held, fold_tagged):
                rule_entities = list(rules.predict(document.text).entities)
                tagged.append(entities)
                ruled.append(rule_entities)
                ordered.append(document)
                handle.write(json.dumps({"source": document.note.source, "note_id": document.note.note_id,
                                         "fold": fold, "tagger": [[e.start, e.end, e.label] for e in entities],
                                         "rules": [[e.start, e.end, e.label] for e in rule_entities]}) + "\n")
            logger.info("fold %d: %d notes tagged", fold, len(held))
    choice = choose_label_sources(tagged, ruled, [gold_spans(d)[0] for d in ordered], min_gold)
    choice = {"chosen_on": f"{folds}-fold cross-validation over the train notes", "folds": folds,
              "train_args": list(train_args), **choice}
    (output / "choice.json").write_text(json.dumps(choice, indent=1) + "\n", encoding="utf-8")
    return choice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehr_models.medication.crossval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--output", type=Path, required=True, help="fold models, predictions.jsonl, choice.json")
    parser.add_argument("--gold", default="gold/medication", help="gold annotation directory")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for tagging")
    parser.add_argument("--min-gold", type=int, default=10)
    parser.add_argument("train_args", nargs=argparse.REMAINDER, help="-- then arguments for ehr_models.train")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train_args = args.train_args[1:] if args.train_args[:1] == ["--"] else args.train_args
    choice = crossvalidate(args.folds, args.output, train_args, args.gold, args.threads, args.min_gold)
    for label, source in choice["sources"].items():
        f1 = {s: (c or {}).get("f1", 0.0) for s, c in choice["scores"][label].items()}
        print(f"{label:<11} chosen {source:<7} " + "  ".join(f"{s} {v:.3f}" for s, v in f1.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
