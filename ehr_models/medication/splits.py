"""The internal dev split of the gold TRAIN notes: where model choices are made (epochs, transfer, hybrid rules).

The 65 test notes are only scored for reporting. Dev notes are picked per source by a hash of their group
(PhysioNet: the patient, so no patient straddles fit and dev; MTSamples: the note), so the split is fixed by the
note ids alone and reproducible without any state.
"""

from __future__ import annotations

import hashlib
import re
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
DEV_NOTES = {"mtsamples": 12, "physionet": 8}  # about 20 of the 174 train notes, in the sources' proportion
SALT = "ehrbeam-medication-dev-1"
FOLD_SALT = "ehrbeam-medication-folds-1"
# ``fold2of4``: the train notes of fold 2 (of 0..3); ``rest2of4``: the other train notes. Cross-validation over the
# whole train split settles choices that one 21-note dev split cannot (session 2's frequency/duration choice).
FOLD_SPLIT = re.compile(r"^(fold|rest)(\d+)of(\d+)$")
INTERNAL_SPLITS = ("fit", "dev")


def group_of(source: str, note_id: str) -> str:
    """The unit that must not straddle the split: the patient for PhysioNet (``PATIENT-NOTE``), else the note."""
    return note_id.split("-", 1)[0] if source == "physionet" else note_id


def _rank(source: str, group: str) -> str:
    return hashlib.sha256(f"{SALT}|{source}|{group}".encode("utf-8")).hexdigest()


def dev_keys(keys: Sequence[tuple[str, str]], quota: dict[str, int] | None = None) -> set[tuple[str, str]]:
    """Which ``(source, note_id)`` pairs of the train split are internal dev: whole groups in hash order until
    each source's quota of notes is reached."""
    quota = quota or DEV_NOTES
    chosen: set[tuple[str, str]] = set()
    for source, wanted in quota.items():
        groups: dict[str, list[tuple[str, str]]] = {}
        for key in keys:
            if key[0] == source:
                groups.setdefault(group_of(*key), []).append(key)
        taken = 0
        for group in sorted(groups, key=lambda g: _rank(source, g)):
            if taken >= wanted:
                break
            chosen.update(groups[group])
            taken += len(groups[group])
    return chosen


def split_train(items: Sequence[T], key: Callable[[T], tuple[str, str]]) -> tuple[list[T], list[T]]:
    """``(fit, dev)``: the train-split items outside and inside the internal dev split."""
    dev = dev_keys([key(item) for item in items])
    return [i for i in items if key(i) not in dev], [i for i in items if key(i) in dev]


def fold_of(source: str, note_id: str, folds: int) -> int:
    """The cross-validation fold (0 .. folds-1) of a train note, by a hash of its group (a patient stays whole)."""
    digest = hashlib.sha256(f"{FOLD_SALT}|{source}|{group_of(source, note_id)}".encode("utf-8")).hexdigest()
    return int(digest[:12], 16) % folds


def is_internal(split: str) -> bool:
    """Whether ``split`` names a part of the train notes (``fit``, ``dev``, ``foldIofK``, ``restIofK``)."""
    return split in INTERNAL_SPLITS or FOLD_SPLIT.match(split) is not None


def select_internal(items: Sequence[T], key: Callable[[T], tuple[str, str]], split: str) -> list[T]:
    """The train-split ``items`` of an internal ``split``; raises ``ValueError`` for another name."""
    if split in INTERNAL_SPLITS:
        return split_train(items, key)[INTERNAL_SPLITS.index(split)]
    match = FOLD_SPLIT.match(split)
    if match is None:
        raise ValueError(f"not an internal split: {split!r} (fit, dev, foldIofK, restIofK)")
    kind, fold, folds = match.group(1), int(match.group(2)), int(match.group(3))
    if not 0 <= fold < folds:
        raise ValueError(f"fold {fold} of {folds} does not exist")
    return [i for i in items if (fold_of(*key(i), folds) == fold) == (kind == "fold")]
