"""Relation linking on the hand-annotated gold notes: trained relation model(s) vs the nearest-medication baseline.

    python benchmarks/relations.py                                  # held-out test notes, packaged model
    python benchmarks/relations.py --models DIR1 DIR2 --dev         # the internal dev split of the train notes
    python benchmarks/relations.py --json

Entities come from (a) the gold annotations, (b) the rules annotator and (c) with ``--entities ... ner``, the
default medication annotator's NER (``ehr_models/medication``, as packaged at run time); every linker links the
same entities.
A relation is right when its head and tail spans (exact offsets; also reported with overlap) and labels match gold.
Needs ../shared/data (the note texts); the annotations are in gold/medication.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from ehr_models.annotation import ATTRIBUTE_LABELS, Entity
from ehr_models.evaluation.gold import load_gold
from ehr_models.evaluation.spans import score_relations
from ehr_models.relations import build_linker
from ehr_models.relations.data import dev_split, from_gold
from ehr_models.relations.linker import PACKAGED_MODEL
from ehr_models.relations.train import SPLIT_SEED
from ehr_models.registry import build_annotator
from ehr_models.rules import RuleAnnotator


def entity_sets(notes, sources: list[str]) -> dict[str, list[list[Entity]]]:
    """Per entity source, each note's entities in text order."""
    sets = {}
    if "gold" in sources:
        sets["gold"] = [list(note.entities) for note in notes]
    if "rules" in sources:
        rules = RuleAnnotator()
        sets["rules"] = [rules.predict(note.text).entities for note in notes]
    if "ner" in sources:
        annotator = build_annotator({"type": "medication", "linker": "nearest", "threads": 1})
        sets["ner"] = [a.entities for a in annotator.predict_batch([note.text for note in notes])]
    return sets


def score(linker, notes, entities: list[list[Entity]]) -> dict:
    started = time.perf_counter()
    predicted = [linker.link(note.text, found) for note, found in zip(notes, entities)]
    seconds = time.perf_counter() - started
    result = {"seconds": round(seconds, 2)}
    for mode, overlap in (("exact", False), ("overlap", True)):
        documents = []
        for note, found, relations in zip(notes, entities, predicted):
            spans = [(e.start, e.end, e.label) for e in found]
            gold = [(e.start, e.end, e.label) for e in note.entities]
            documents.append(([(spans[r.head], spans[r.tail]) for r in relations],
                              [(gold[h], gold[t]) for h, t in note.relations]))
        result[mode] = score_relations(documents, overlap=overlap).to_dict()
    return result


def table(title: str, results: dict[str, dict]) -> str:
    lines = [title, f"{'linker':<28}{'label':<11}{'P':>7}{'R':>7}{'F1':>7}{'ovl F1':>8}{'gold':>6}"]
    for name, result in results.items():
        for label in ("micro",) + ATTRIBUTE_LABELS:
            exact, overlap = result["exact"].get(label), result["overlap"].get(label)
            if exact is None:
                continue
            lines.append(f"{name:<28}{label:<11}{exact['precision']:>7.3f}{exact['recall']:>7.3f}{exact['f1']:>7.3f}"
                         f"{overlap['f1']:>8.3f}{exact['tp'] + exact['fn']:>6}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", default=[str(PACKAGED_MODEL)] if PACKAGED_MODEL.exists() else [],
                        help="relation model directories (default: the packaged one)")
    parser.add_argument("--dev", action="store_true",
                        help="score the internal dev split of the train notes (what training chose settings on)")
    parser.add_argument("--entities", nargs="+", default=["gold", "rules"], choices=["gold", "rules", "ner"])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.dev:
        notes = dev_split([from_gold(d) for d in load_gold(splits=("train",))], 0.2, SPLIT_SEED)[1]
    else:
        notes = [from_gold(d) for d in load_gold(splits=("test",))]
    linkers = {"nearest": build_linker("nearest")}
    for directory in args.models:
        linker = build_linker({"type": "model", "model": directory})
        linker.warm_up()
        linkers[f"model:{directory.rstrip('/').rsplit('/', 1)[-1]}"] = linker
    results = {"notes": len(notes), "split": "dev" if args.dev else "test"}
    for source, entities in entity_sets(notes, args.entities).items():
        results[source] = {name: score(linker, notes, entities) for name, linker in linkers.items()}
    if args.json:
        print(json.dumps(results))
        return
    for source in args.entities:
        print(table(f"{source} entities, {results['split']} split, {len(notes)} notes (exact P/R/F1; overlap F1)",
                    results[source]), "\n")


if __name__ == "__main__":
    main()
