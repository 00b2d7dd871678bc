"""Choose the real notes that the team annotates by hand (deterministic; rerun to reproduce the lists).

MTSamples notes come from medication-heavy specialties, deduplicated by text (the corpus repeats reports under
several specialties) and capped in length; PhysioNet deid nursing notes are drawn from all patients.
Prints one line per note: ``source<TAB>note_id<TAB>split``. Split is by note for MTSamples and by PATIENT for
PhysioNet, so no patient's notes straddle train and test.
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


def select_mtsamples(csv_path: Path, count: int, seed: int) -> list[str]:
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
    return random.Random(seed).sample(candidates, count)


def select_physionet(id_text: Path, count: int, seed: int) -> list[str]:
    ids = re.findall(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|", id_text.read_text(encoding="utf-8"))
    return random.Random(seed).sample([f"{patient}-{note}" for patient, note in ids], count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data")
    parser.add_argument("--mtsamples", type=int, default=140)
    parser.add_argument("--physionet", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--test-fraction", type=float, default=0.3)
    args = parser.parse_args()
    for note_id in select_mtsamples(args.data / "mtsamples" / "mtsamples.csv", args.mtsamples, args.seed):
        split = "test" if _test_split(f"mtsamples:{note_id}", args.test_fraction) else "train"
        print(f"mtsamples\t{note_id}\t{split}")
    for note_id in select_physionet(args.data / "deid-physionet" / "dev" / "id.text", args.physionet, args.seed):
        patient = note_id.split("-")[0]
        split = "test" if _test_split(f"physionet-patient:{patient}", args.test_fraction) else "train"
        print(f"physionet\t{note_id}\t{split}")


if __name__ == "__main__":
    main()
