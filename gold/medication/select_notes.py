"""Choose the real notes that the team annotates by hand (deterministic; rerun to reproduce the lists).

MTSamples notes come from medication-heavy specialties, deduplicated by text (the corpus repeats reports under
several specialties) and capped in length; PhysioNet deid nursing notes are drawn from all patients.
Prints one line per note: ``source<TAB>note_id<TAB>split``. Split is by note for MTSamples and by PATIENT for
PhysioNet, so no patient's notes straddle train and test.

``--round 2`` (``selection-2.tsv``) adds TRAIN notes only, so the 65 test notes stay the yardstick: notes outside
round 1 whose hash says train (MTSamples) or whose patient is a train patient (PhysioNet), no MTSamples text equal
(up to whitespace) to a round-1 text, and PhysioNet notes with at least ``--physionet-cues`` medication cues.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import random
import re
from pathlib import Path

SPECIALTIES = {
    "Discharge Summary", "SOAP / Chart / Progress Notes", "Consult - History and Phy.", "General Medicine",
    "Emergency Room Reports", "Nephrology", "Cardiovascular / Pulmonary", "Hematology - Oncology",
    "Pain Management", "Office Notes", "Letters", "Psychiatry / Psychology", "Endocrinology", "Neurology",
}
MED_CUES = re.compile(r"\b(mg|mcg|units?|tablets?|p\.?o\.?|b\.?i\.?d|t\.?i\.?d|q\.?d|daily|medications?)\b", re.I)


def _test_split(key: str, test_fraction: float) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < test_fraction


def mtsamples_candidates(csv_path: Path) -> list[str]:
    """Ids of medication-rich reports of the chosen specialties, 800-6000 characters, first copy of each text."""
    seen: set[str] = set()
    candidates = []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            text = row["transcription"]
            if row["medical_specialty"].strip() not in SPECIALTIES or not (800 <= len(text) <= 6000):
                continue
            if text in seen or len(MED_CUES.findall(text)) < 3:
                continue
            seen.add(text)
            candidates.append(row["note_id"])
    return candidates


def select_mtsamples(csv_path: Path, count: int, seed: int) -> list[str]:
    return random.Random(seed).sample(mtsamples_candidates(csv_path), count)


def select_physionet(id_text: Path, count: int, seed: int) -> list[str]:
    ids = re.findall(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|", id_text.read_text(encoding="utf-8"))
    return random.Random(seed).sample([f"{patient}-{note}" for patient, note in ids], count)


NURSING_CUES = re.compile(r"\b(mg|mcg|units?|gtts?|prn|po|iv|dose|meds?|lasix|tylenol|morphine|heparin|insulin|"
                          r"abx|antibiotics?)\b", re.I)


def _squeezed(text: str) -> str:
    return " ".join(text.split()).lower()


def select_round2(data: Path, first: list[tuple[str, str, str]], mtsamples: int, physionet: int, seed: int,
                  test_fraction: float, physionet_cues: int) -> list[tuple[str, str, str]]:
    """Train-only notes for a second annotation round, disjoint from ``first`` (round 1's lines)."""
    taken = {(source, note_id) for source, note_id, _ in first}
    with open(data / "mtsamples" / "mtsamples.csv", newline="", encoding="utf-8") as handle:
        rows = {row["note_id"]: row["transcription"] for row in csv.DictReader(handle)}
    known_texts = {_squeezed(rows[note_id]) for source, note_id, _ in first if source == "mtsamples"}
    pool = [note_id for note_id in mtsamples_candidates(data / "mtsamples" / "mtsamples.csv")
            if ("mtsamples", note_id) not in taken and not _test_split(f"mtsamples:{note_id}", test_fraction)
            and _squeezed(rows[note_id]) not in known_texts]
    chosen = [("mtsamples", note_id, "train") for note_id in random.Random(seed + 2).sample(pool, mtsamples)]
    records = re.findall(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD",
                         (data / "deid-physionet" / "dev" / "id.text").read_text(encoding="utf-8"), re.S)
    nursing = [f"{patient}-{note}" for patient, note, text in records
               if ("physionet", f"{patient}-{note}") not in taken
               and not _test_split(f"physionet-patient:{patient}", test_fraction)
               and len(NURSING_CUES.findall(text)) >= physionet_cues]
    chosen += [("physionet", note_id, "train") for note_id in random.Random(seed + 2).sample(nursing, physionet)]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    parser.add_argument("--mtsamples", type=int, default=140)
    parser.add_argument("--physionet", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--test-fraction", type=float, default=0.3)
    parser.add_argument("--round", type=int, choices=(1, 2), default=1)
    parser.add_argument("--round2-mtsamples", type=int, default=100)
    parser.add_argument("--round2-physionet", type=int, default=60)
    parser.add_argument("--physionet-cues", type=int, default=3)
    args = parser.parse_args()
    first = []
    for note_id in select_mtsamples(args.data / "mtsamples" / "mtsamples.csv", args.mtsamples, args.seed):
        split = "test" if _test_split(f"mtsamples:{note_id}", args.test_fraction) else "train"
        first.append(("mtsamples", note_id, split))
    for note_id in select_physionet(args.data / "deid-physionet" / "dev" / "id.text", args.physionet, args.seed):
        patient = note_id.split("-")[0]
        split = "test" if _test_split(f"physionet-patient:{patient}", args.test_fraction) else "train"
        first.append(("physionet", note_id, split))
    lines = first if args.round == 1 else select_round2(
        args.data, first, args.round2_mtsamples, args.round2_physionet, args.seed, args.test_fraction,
        args.physionet_cues)
    for source, note_id, split in lines:
        print(f"{source}\t{note_id}\t{split}")


if __name__ == "__main__":
    main()
