"""The project's hand-annotated medication gold standard (``gold/medication``), joined with its note texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ehr_models.formats.corpora import corpus_texts
from ehr_models.formats.medication_json import GoldNote, read_annotations


def default_gold_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "gold" / "medication"


@dataclass
class GoldDocument:
    note: GoldNote
    split: str
    text: str


def load_gold(gold_dir: Path | None = None, data_dir: Path | None = None,
              splits: tuple[str, ...] = ("test",)) -> list[GoldDocument]:
    """Gold notes of ``splits`` with their texts; raises ``FileNotFoundError`` when the corpora are absent."""
    gold_dir = gold_dir or default_gold_dir()
    texts: dict[str, dict[str, str]] = {}
    documents = []
    for path in sorted(gold_dir.glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            splits_by_id = {(raw["source"], str(raw["note_id"])): raw.get("split", "train")
                            for raw in map(json.loads, filter(str.strip, handle))}
        for note in read_annotations([path]):
            split = splits_by_id[(note.source, note.note_id)]
            if split not in splits:
                continue
            if note.source not in texts:
                texts[note.source] = corpus_texts(note.source, data_dir)
            documents.append(GoldDocument(note, split, texts[note.source][note.note_id]))
    return documents
