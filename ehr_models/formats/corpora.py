"""Texts of the public corpora in ``shared/data`` by note id (for gold annotations that reference notes by id)."""

from __future__ import annotations

import csv
from pathlib import Path

from ehr_models.formats.physionet import read_records


def default_data_dir() -> Path:
    """``../shared/data`` beside the project root (the checkout layout); may not exist."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def mtsamples_texts(data_dir: Path) -> dict[str, str]:
    csv.field_size_limit(1 << 30)
    with open(data_dir / "mtsamples" / "mtsamples.csv", newline="", encoding="utf-8") as handle:
        return {row["note_id"]: row["transcription"] for row in csv.DictReader(handle)}


def physionet_texts(data_dir: Path) -> dict[str, str]:
    with open(data_dir / "deid-physionet" / "dev" / "id.text", encoding="utf-8") as handle:
        return {record.note_id: record.text for record in read_records(handle)}


READERS = {"mtsamples": mtsamples_texts, "physionet": physionet_texts}


def corpus_texts(source: str, data_dir: Path | None = None) -> dict[str, str]:
    """All note texts of a corpus (``mtsamples`` or ``physionet``); raises ``KeyError`` for another name."""
    return READERS[source](data_dir or default_data_dir())
