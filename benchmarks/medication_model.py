"""Score medication annotators on the hand-annotated gold notes, side by side with the rules baseline (always run).

    python benchmarks/medication_model.py                          # the default "medication" annotator, test split
    python benchmarks/medication_model.py --annotator tagger=/tmp/med-ner --split dev
    python benchmarks/medication_model.py --annotator hybrid=DIR:medication=union,reason=rules --split dev
    python benchmarks/medication_model.py --deid gold --json       # PhysioNet notes masked first, as the pipeline does

Annotators: ``rules``; ``medication`` (packaged model, its packaged label sources); ``tagger=DIR`` (the model in DIR
for every label); ``hybrid=DIR:LABEL=SOURCE,...`` (SOURCE: tagger, rules, union; DIR may be empty for the packaged
model). All but ``rules`` link with ``--linker`` (default: ``ehr_models.relations.default_linker_config()``).
``--split``: ``test`` (the 65 held-out notes, scored only for reporting), ``dev`` / ``fit`` (the internal split of
the train notes, where choices are made). Needs ../shared/data (the note texts); the annotations are in gold/medication.
"""

from __future__ import annotations

import argparse
import json
import time

from ehr_models.annotation import LABELS, Annotation
from ehr_models.evaluation.gold import GoldDocument, load_gold
from ehr_models.evaluation.medication import evaluate, format_table
from ehr_models.medication.annotator import MedicationAnnotator
from ehr_models.medication.splits import select_internal
from ehr_models.registry import build_annotator


def parse_annotator(spec: str, linker: str | None = None):
    """An annotator from a command-line spec (see the module doc); ``linker`` overrides the default linker."""
    kind, _, rest = spec.partition("=")
    if kind == "rules" and not rest:
        return build_annotator(kind)
    if kind == "medication" and not rest:
        return MedicationAnnotator(linker=linker)
    if kind == "tagger":
        return MedicationAnnotator(rest, sources={label: "tagger" for label in LABELS}, linker=linker)
    if kind == "hybrid":
        model, _, pairs = rest.rpartition(":")
        sources = dict(pair.split("=", 1) for pair in pairs.split(",") if pair)
        return MedicationAnnotator(model or None, sources=sources, linker=linker)
    raise SystemExit(f"unknown annotator spec {spec!r}")


def documents_of(split: str) -> list[GoldDocument]:
    if split in ("test", "train"):
        return load_gold(splits=(split,))
    return select_internal(load_gold(splits=("train",)), lambda g: (g.note.source, g.note.note_id), split)


class GoldDeid:
    """Wraps an annotator: a note's gold PHI masked (``[**NAME**]``) before it runs and its offsets mapped back to
    the original text, as the pipeline's de-identification step does. ``phi`` maps a note's text to its spans."""

    def __init__(self, annotator, phi: dict) -> None:
        self.annotator, self.phi = annotator, phi
        self.name, self.version = annotator.name, annotator.version

    def to_dict(self) -> dict:
        return {"deid": "gold", **self.annotator.to_dict()}

    def predict(self, text: str) -> Annotation:
        from ehr_models.deid.transform import mask
        from ehr_models.medication.phi import to_original_entities

        spans = self.phi.get(text)
        if not spans:
            return self.annotator.predict(text)
        masked = mask(text, spans)
        found = self.annotator.predict(masked.text)
        return Annotation(to_original_entities(masked, found.entities), found.relations)


def gold_phi_by_text(documents: list[GoldDocument]) -> dict:
    from ehr_models.medication.phi import physionet_gold_phi

    phi = physionet_gold_phi()
    return {d.text: phi.get(d.note.note_id, []) for d in documents if d.note.source == "physionet"}


def score(annotator, documents: list[GoldDocument], phi: dict | None) -> dict:
    started = time.perf_counter()
    result = evaluate(annotator if phi is None else GoldDeid(annotator, phi), documents)
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["config"] = annotator.to_dict()
    return result


def choose_sources(model: str, documents: list[GoldDocument], min_gold: int = 10) -> dict:
    """Per label, the source (tagger, rules, union) with the best exact F1 on ``documents``
    (``ehr_models.medication.crossval.choose_label_sources``); PhysioNet notes are masked with their gold PHI
    first, as the tagger was trained."""
    from ehr_models.evaluation.medication import gold_spans
    from ehr_models.medication.crossval import choose_label_sources, masked_predictions

    tagged = masked_predictions(MedicationAnnotator(model).ner, documents)  # PhysioNet PHI masked, as in training
    rules = build_annotator("rules")
    ruled = [rules.predict(d.text).entities for d in documents]
    return choose_label_sources(tagged, ruled, [gold_spans(d)[0] for d in documents], min_gold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotator", action="append", default=[], help="spec (repeatable; default: medication)")
    parser.add_argument("--split", default="test", help="test, train, or an internal part of train: dev, fit, "
                                                         "foldIofK, restIofK (ehr_models.medication.splits)")
    parser.add_argument("--deid", choices=("none", "gold"), default="none",
                        help="gold: mask PhysioNet gold PHI before annotating and map offsets back")
    parser.add_argument("--linker", help="linker type for the neural annotators: nearest or model (default: "
                                             "ehr_models.relations.default_linker_config())")
    parser.add_argument("--choose-sources", metavar="DIR",
                        help="print the per-label sources (tagger, rules, union) chosen for the tagger in DIR on "
                             "--split (use dev) as JSON, for ehr_models.medication.release --note")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    documents = documents_of(args.split)
    if args.choose_sources:
        print(json.dumps({"chosen_on": args.split, **choose_sources(args.choose_sources, documents)}, indent=1))
        return
    phi = gold_phi_by_text(documents) if args.deid == "gold" else None
    results = {spec: score(parse_annotator(spec, args.linker), documents, phi)
               for spec in ["rules"] + [s for s in (args.annotator or ["medication"]) if s != "rules"]}
    if args.json:
        print(json.dumps({"split": args.split, "deid": args.deid, **results}))
        return
    for name, result in results.items():
        print(format_table(name, result), "\n")


if __name__ == "__main__":
    main()
