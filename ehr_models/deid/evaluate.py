"""Score the de-identification engine on PhysioNet-format gold (``id.text`` + ``id-phi.phrase``).

    python -m ehr_models.deid.evaluate                       # held-out test patients, site lists fitted on dev
    python -m ehr_models.deid.evaluate --split dev --json
    python -m ehr_models.deid.evaluate --no-fit              # the engine as shipped, no site lists
    python -m ehr_models.deid.evaluate --split dev --half b --tagger /tmp/deid-a --threshold 0.2   # cross-fitting
    python -m ehr_models.deid.evaluate --split dev --half b --tagger /tmp/deid-a --gate unknown --thresholds DATE=0.5
    python -m ehr_models.deid.evaluate --tagger none         # rules only

The split is by patient (``ehr_models.deid.split``). With fitting (default), clinicians' names, places and
vocabulary are learned from the dev patients only, and scores are reported on ``--split``. Output holds counts
and patient ids, never note text.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ehr_models.deid.engine import DeidConfig, DeidEngine
from ehr_models.deid.fit import TrainingNote, fit_config
from ehr_models.deid.metrics import DeidScores
from ehr_models.deid.split import SPLITS, half_of, in_split
from ehr_models.deid.tagger import packaged_available
from ehr_models.formats.corpora import default_data_dir
from ehr_models.formats.physionet import read_phi, read_records
from ehr_models.rules.lexicon import DrugLexicon
from ehr_models.text import tokenize

logger = logging.getLogger(__name__)


# Invented notes that reach every lazily loaded list (census, drug lexicon, common words, the tagger) before a
# timed loop: one-time loading is not per-note cost.
WARM_UP = ["Pt seen by Dr. Quellmann on 7/22 and Nov. 16. Wife Marisol called from 410-555-0199; lasix given, "
           "transferred from Elderbrook Hospital in Millbrook, NY 12545. Zorbanek aware. Stent to LAD.",
           "SON AT BEDSIDE, DAVID. PT ALERT, MAE. HUSBAND WILL VISIT. LASIX 40 MG IV GIVEN."]


@dataclass(frozen=True)
class GoldNote:
    note_id: str
    patient: str
    text: str
    phi: tuple[tuple[int, int, str], ...]


def load_corpus(directory: Path) -> list[GoldNote]:
    """Notes of ``directory/id.text`` with their gold spans from ``directory/id-phi.phrase``."""
    with open(directory / "id-phi.phrase", encoding="utf-8") as handle:
        phi: dict[str, list[tuple[int, int, str]]] = {}
        for span in read_phi(handle):
            phi.setdefault(span.note_id, []).append((span.start, span.end, span.label))
    with open(directory / "id.text", encoding="utf-8") as handle:
        return [GoldNote(r.note_id, r.patient, r.text, tuple(sorted(phi.get(r.note_id, ())))) for r in
                read_records(handle)]


def select(notes: list[GoldNote], split: str, limit: int | None = None) -> list[GoldNote]:
    chosen = [note for note in notes if in_split(note.patient, split)]
    return chosen[:limit] if limit else chosen


def fitted_config(notes: list[GoldNote], base: DeidConfig | None = None, half: str | None = None) -> DeidConfig:
    """Site lists and vocabulary learned from the dev patients of ``notes`` (never the test patients); with
    ``half``, from the dev patients NOT in that half (cross-fitting: score on ``half``)."""
    chosen = [n for n in select(notes, "dev") if half is None or half_of(n.patient) != half]
    return fit_config((TrainingNote(n.patient, n.text, n.phi) for n in chosen), base)


def with_tagger(config: DeidConfig, model: str | None, threshold: float | None = None,
                gate: str | None = None, thresholds: dict[str, float] | None = None,
                window: int | None = None) -> DeidConfig:
    """``config`` with its tagger recognizer replaced: ``model`` "none" drops it, a directory replaces the
    packaged model, ``threshold`` sets its decision threshold (``thresholds``: per label)."""
    rules = [dict(r) for r in config.recognizers if r.get("type") != "tagger"]
    tagger = next((dict(r) for r in config.recognizers if r.get("type") == "tagger"), {"type": "tagger"})
    if model == "none":
        config.recognizers = rules
        return config
    if model:
        tagger["model"] = model
    if threshold is not None:
        tagger["threshold"] = threshold
    if gate:
        tagger["gate"] = gate
    if thresholds is not None:
        tagger["thresholds"] = dict(thresholds)
    if window is not None:
        tagger["window"] = window
    config.recognizers = rules + ([tagger] if model or tagger.get("model") or packaged_available() else [])
    return config


def score(engine: DeidEngine, notes: list[GoldNote], lexicon: DrugLexicon | None = None, batch: int = 32) -> dict:
    """Scores of ``engine`` on ``notes`` plus throughput (notes/s of ``engine.find_batch`` alone, ``batch``
    notes a call)."""
    lexicon = lexicon or DrugLexicon()
    engine.find_batch(WARM_UP)  # builds recognizers, lists and vocabularies outside the timed loop
    scores = DeidScores()
    started = time.perf_counter()
    found = [spans for i in range(0, len(notes), batch) for spans in
             engine.find_batch([note.text for note in notes[i : i + batch]])]
    seconds = time.perf_counter() - started
    for note, spans in zip(notes, found):
        tokens = tokenize(note.text)
        drugs = [(m.start, m.end) for m in lexicon.match(tokens)]
        scores.add(note.text, tokens, [(s.start, s.end, s.label) for s in spans], list(note.phi), drugs)
    result = scores.to_dict()
    result["notes_per_second"] = round(len(notes) / seconds, 1) if seconds else None
    return result


def format_table(result: dict) -> str:
    lines = [f"notes {result['notes']}   patients {len(result.get('patients', []))}   "
             f"notes/s {result['notes_per_second']}", "", f"{'level':<22}{'P':>8}{'R':>8}{'F1':>8}{'TP':>7}"
             f"{'FP':>7}{'FN':>7}"]
    for key in ("span", "span_typed", "token", "token_typed"):
        c = result[key]
        lines.append(f"{key:<22}{c['precision']:>8.4f}{c['recall']:>8.4f}{c['f1']:>8.4f}{c['tp']:>7}{c['fp']:>7}"
                     f"{c['fn']:>7}")
    lines += ["", f"{'gold type':<22}{'gold':>8}{'recall':>8}{'typed':>8}"]
    for kind, row in result["recall_by_type"].items():
        lines.append(f"{kind:<22}{row['gold']:>8}{row['recall']:>8.4f}{row['typed_recall']:>8.4f}")
    lines += ["", f"medication words redacted: {result['medication_words_redacted']} "
              f"(drug-lexicon words inside gold PHI: {result['medication_words_in_gold_phi']})"]
    return "\n".join(lines)


def _thresholds(value: str) -> dict[str, float]:
    """"DATE=0.8,NAME=0.4" -> {"DATE": 0.8, "NAME": 0.4}."""
    return {label.strip().upper(): float(t) for label, t in (item.split("=") for item in value.split(",") if item)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data_dir() / "deid-physionet" / "dev",
                        help="directory with id.text and id-phi.phrase")
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--no-fit", action="store_true", help="do not learn site lists from the dev patients")
    parser.add_argument("--config", type=Path, help="engine configuration JSON to start from")
    parser.add_argument("--save-config", type=Path, help="write the (fitted) configuration here")
    parser.add_argument("--limit", type=int, help="score only the first N notes of the split")
    parser.add_argument("--half", choices=("a", "b"), help="with --split dev: score this half of the dev patients, "
                        "fit site lists on the other half (cross-fitting)")
    parser.add_argument("--tagger", help="PHI tagger model directory, or 'none' for rules only (default: packaged)")
    parser.add_argument("--threshold", type=float, help="the tagger's decision threshold on P(PHI)")
    parser.add_argument("--thresholds", type=_thresholds,
                        help="per-label thresholds, e.g. DATE=0.8,NAME=0.4 (default DATE=0.9)")
    parser.add_argument("--gate", choices=("unknown", "window", "all"),
                        help="what the tagger reads (default window)")
    parser.add_argument("--window", type=int, help="tokens either side of an unknown word with --gate window (6)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if not (args.data / "id.text").exists():
        print(f"no PhysioNet corpus at {args.data}", file=sys.stderr)
        return 2
    notes = load_corpus(args.data)
    base = DeidConfig.from_dict(json.loads(args.config.read_text())) if args.config else DeidConfig()
    config = with_tagger(base if args.no_fit else fitted_config(notes, base, args.half), args.tagger, args.threshold,
                         args.gate, args.thresholds, args.window)
    if args.save_config:
        args.save_config.write_text(json.dumps(config.to_dict(), indent=1))
    chosen = select(notes, args.split)
    if args.half:
        chosen = [n for n in chosen if half_of(n.patient) == args.half]
    chosen = chosen[: args.limit] if args.limit else chosen
    result = score(DeidEngine(config), chosen)
    result.update(split=args.split, fitted_on="none" if args.no_fit else "dev patients",
                  patients=sorted({n.patient for n in chosen}, key=lambda p: (len(p), p)))
    print(json.dumps(result) if args.json else format_table(result) + f"\n\nsplit {args.split}: patients "
          + " ".join(result["patients"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
