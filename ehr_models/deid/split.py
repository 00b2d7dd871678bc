"""The patient-level split of a de-identification corpus: every note of a patient lands on the same side.

A patient is on the test side when SHA-256("ehrbeam-deid-split-v1:" + patient) is odd: stable across runs and
machines, independent of file order, and about half of the patients on each side.
"""

from __future__ import annotations

import hashlib

SPLIT_KEY = "ehrbeam-deid-split-v1"
SPLITS = ("dev", "test", "all")


def patient_split(patient: str) -> str:
    """``"test"`` or ``"dev"`` for a patient id."""
    digest = hashlib.sha256(f"{SPLIT_KEY}:{patient}".encode()).digest()
    return "test" if digest[-1] % 2 else "dev"


def in_split(patient: str, split: str) -> bool:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return split == "all" or patient_split(patient) == split


def half_of(patient: str) -> str:
    """``"a"`` or ``"b"``: a fixed patient-level halving (of the dev side) for cross-fitting: fit or train on one
    half, score on the other."""
    return "a" if hashlib.sha256(f"ehrbeam-deid-half-v1:{patient}".encode()).digest()[-1] % 2 else "b"
