"""Silver training notes: the rules baseline's annotations over MTSamples reports that nobody annotated by hand.

They pretrain the medication tagger on far more text than the gold notes hold (issue 7, step 3), before it is
fine-tuned on gold (``python -m ehr_models.train --init-from``). Reports chosen: every MTSamples transcription
that is no gold note's text and shares no more than ``max_overlap`` of its word 5-grams with a gold TEST note
(the corpus repeats reports under several specialties, near-verbatim), no copy of any gold note's text, first copy
of each text.

    python -m ehr_models.medication.silver --output /tmp/silver      # writes /tmp/silver/silver.jsonl

The file is in the gold format (``ehr_models.formats.medication_json``, split ``train``), referencing notes by id:
texts stay in ``../shared/data``; the file is a build product, never committed.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Iterable, Sequence

from ehr_models.annotation import Annotation
from ehr_models.evaluation.gold import load_gold
from ehr_models.formats.corpora import corpus_texts
from ehr_models.formats.medication_json import LABELS as CODES

logger = logging.getLogger(__name__)
CODE_OF = {label: code for code, label in CODES.items()}


def shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = text.lower().split()
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def silver_note_ids(texts: dict[str, str], gold_ids: set[str], test_texts: Sequence[str],
                    max_overlap: float = 0.3, min_chars: int = 200) -> list[str]:
    """MTSamples ids to annotate with the rules: not gold nor a copy of a gold note's text (the corpus repeats
    reports under other ids), not a near-copy of a test note, one per text."""
    test_shingles = [shingles(text) for text in test_texts]
    seen = {" ".join(texts[note_id].split()) for note_id in gold_ids if note_id in texts}
    chosen = []
    for note_id, text in texts.items():
        squeezed = " ".join(text.split())
        if note_id in gold_ids or squeezed in seen or len(squeezed) < min_chars:
            continue
        seen.add(squeezed)
        own = shingles(text)
        if any(len(own & other) > max_overlap * max(1, min(len(own), len(other))) for other in test_shingles):
            continue
        chosen.append(note_id)
    return chosen


def to_record(source: str, note_id: str, text: str, annotation: Annotation, annotator: str) -> dict:
    """One line of the gold format for ``annotation`` (entity ids T1..., one entry per medication)."""
    entities = [{"id": f"T{i + 1}", "type": CODE_OF[e.label], "start": e.start, "end": e.end,
                 "text": text[e.start:e.end]} for i, e in enumerate(annotation.entities)]
    entries = {i: {"m": f"T{i + 1}", "do": [], "mo": [], "f": [], "du": [], "r": []}
               for i, e in enumerate(annotation.entities) if e.label == "medication"}
    for relation in annotation.relations:
        tail = annotation.entities[relation.tail]
        if relation.head in entries:
            entries[relation.head][CODE_OF[tail.label]].append(f"T{relation.tail + 1}")
    # attributes the rules left unlinked stay: the tagger should learn them as entities (gold has none such)
    return {"source": source, "note_id": note_id, "split": "train", "annotator": annotator,
            "entities": entities, "entries": list(entries.values())}


def write_silver(output: Path, note_ids: Iterable[str], texts: dict[str, str], annotator=None) -> int:
    """Annotate ``note_ids`` with the rules and write ``output/silver.jsonl``; returns the number of notes."""
    from ehr_models.rules import RuleAnnotator

    annotator = annotator or RuleAnnotator()
    output.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(output / "silver.jsonl", "w", encoding="utf-8") as handle:
        for note_id in note_ids:
            record = to_record("mtsamples", note_id, texts[note_id], annotator.predict(texts[note_id]),
                               f"{annotator.name}-{annotator.version}")
            handle.write(json.dumps(record) + "\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehr_models.medication.silver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, required=True, help="directory for silver.jsonl")
    parser.add_argument("--data-dir", type=Path, help="shared corpora (default ../shared/data)")
    parser.add_argument("--max-overlap", type=float, default=0.3,
                        help="largest share of word 5-grams a silver report may share with a gold test note")
    parser.add_argument("--limit", type=int, help="at most this many reports")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    texts = corpus_texts("mtsamples", args.data_dir)
    golds = load_gold(data_dir=args.data_dir, splits=("train", "test"))
    gold_ids = {g.note.note_id for g in golds if g.note.source == "mtsamples"}
    test_texts = [g.text for g in golds if g.split == "test" and g.note.source == "mtsamples"]
    note_ids = silver_note_ids(texts, gold_ids, test_texts, args.max_overlap)[:args.limit]
    count = write_silver(args.output, note_ids, texts)
    logger.info("silver: %d MTSamples reports annotated by the rules -> %s", count, args.output / "silver.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
