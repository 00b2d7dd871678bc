"""Score the rules baseline (and the bare drug lexicon, for reference) on the hand-annotated gold notes.

    python benchmarks/medication_rules.py                 # held-out test split
    python benchmarks/medication_rules.py --splits train test --json
Needs ../shared/data (the note texts); the annotations are in gold/medication.
"""

from __future__ import annotations

import argparse
import json
import time

from ehr_models.annotation import Annotation, Entity
from ehr_models.evaluation.gold import load_gold
from ehr_models.evaluation.medication import evaluate, format_table
from ehr_models.rules import DrugLexicon, RuleAnnotator
from ehr_models.text import tokenize


class LexiconOnly:
    """The ``drug-named-entity-recognition`` dictionary alone, case-insensitive: the issue's reference point."""

    name, version = "lexicon-only", "0"

    def __init__(self) -> None:
        self.lexicon = DrugLexicon(supplement={}, stoplist=frozenset(), min_chars=1)

    def predict(self, text: str) -> Annotation:
        return Annotation([Entity(m.start, m.end, "medication") for m in self.lexicon.match(tokenize(text))])

    def to_dict(self) -> dict:
        return {"type": self.name}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", nargs="+", default=["test"])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args()
    documents = load_gold(splits=tuple(args.splits))
    results = {}
    for annotator in (LexiconOnly(), RuleAnnotator()):
        started = time.perf_counter()
        results[annotator.name] = evaluate(annotator, documents)
        results[annotator.name]["seconds"] = round(time.perf_counter() - started, 2)
    if args.json:
        print(json.dumps({"splits": args.splits, **results}))
        return
    for name, result in results.items():
        print(format_table(name, result), "\n")


if __name__ == "__main__":
    main()
