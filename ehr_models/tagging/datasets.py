"""Every corpus format the trainer and evaluator read, behind one call: a data spec -> examples (or documents).

A spec is ``PATH`` or ``PATH::SPLIT[,SPLIT]`` (splits for the project's JSON gold, e.g. ``gold/medication::train``;
``fit`` and ``dev`` are the internal split of ``train``, ``ehr_models.medication.splits``).
Formats: ``conll`` (a TSV file), ``brat`` (a directory of .txt/.ann), ``phee`` (brat, mapped to the medication
labels with drug -> attribute links), ``i2b2`` (a directory of NAME.txt with NAME.entries / NAME.i2b2.entries),
``physionet`` (``id.text`` with ``id-phi.phrase`` beside it), ``medication-json`` (``gold/medication``; note texts
from ``../shared/data``). ``detect_format`` guesses from the path when no format is given.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

from ehr_models.formats import brat, conll, i2b2
from ehr_models.formats.examples import DEFAULT_MAX_TOKENS, Document, Example, documents_examples
from ehr_models.formats.physionet import read_phi, read_records

logger = logging.getLogger(__name__)

FORMATS = ("conll", "brat", "phee", "i2b2", "physionet", "medication-json")
_ENTRY_SUFFIXES = (".entries", ".i2b2.entries", ".txt.i2b2.entries", ".med")


def parse_spec(spec: str) -> tuple[Path, tuple[str, ...]]:
    """``PATH::a,b`` -> ``(Path(PATH), ("a", "b"))``; no ``::`` -> no split filter."""
    path, _, splits = str(spec).partition("::")
    return Path(path), tuple(s for s in splits.split(",") if s)


def parse_label_map(text: str | None) -> dict[str, str] | None:
    """``"Chemical=medication,Disease"`` -> ``{"Chemical": "medication", "Disease": "Disease"}`` (None: keep all)."""
    if not text:
        return None
    pairs = (item.split("=", 1) if "=" in item else (item, item) for item in text.split(",") if item)
    return {source.strip(): target.strip() for source, target in pairs}


def detect_format(path: Path) -> str:
    """Guess a format from the path; raises ``ValueError`` when nothing fits."""
    if path.is_file():
        return "physionet" if path.name == "id.text" else "conll"
    if path.is_dir():
        if (path / "id.text").exists():
            return "physionet"
        if any(path.glob("*.jsonl")):
            return "medication-json"
        if any(path.rglob("*.ann")):
            return "brat"
        if any(p for suffix in _ENTRY_SUFFIXES for p in path.glob(f"*{suffix}")):
            return "i2b2"
    raise ValueError(f"cannot tell the format of {path}; pass --format ({', '.join(FORMATS)})")


def _i2b2_documents(directory: Path) -> list[Document]:
    documents = []
    for text_path in sorted(directory.glob("*.txt")):
        entries_path = next((p for p in (text_path.with_suffix(s) for s in _ENTRY_SUFFIXES) if p.exists()), None)
        if entries_path is None:
            logger.warning("i2b2: no entries file for note %s; skipped", text_path.stem)
            continue
        text = text_path.read_text(encoding="utf-8")
        documents.append(i2b2.to_document(text_path.stem, text, i2b2.read_entries(entries_path)))
    return documents


def _physionet_documents(path: Path) -> list[Document]:
    text_path = path / "id.text" if path.is_dir() else path
    phi_path = text_path.with_name("id-phi.phrase")
    spans: dict[str, list[tuple[int, int, str]]] = {}
    if phi_path.exists():
        with open(phi_path, encoding="utf-8") as handle:
            for phi in read_phi(handle):
                spans.setdefault(phi.note_id, []).append((phi.start, phi.end, phi.label))
    with open(text_path, encoding="utf-8") as handle:
        return [Document(r.note_id, r.text, tuple(spans.get(r.note_id, ()))) for r in read_records(handle)]


def _medication_json_documents(path: Path, splits: tuple[str, ...], data_dir: Path | None,
                               mask_phi: bool = False) -> list[Document]:
    """Gold notes of ``splits``: ``train``, ``test``, or internal parts of train: ``fit`` and ``dev``, or the
    cross-validation folds ``foldIofK`` / ``restIofK`` (``ehr_models.medication.splits``). ``mask_phi`` masks PhysioNet notes' gold PHI as the de-identifier would."""
    from ehr_models.evaluation.gold import load_gold
    from ehr_models.medication.phi import mask_document, physionet_gold_phi
    from ehr_models.medication.splits import is_internal, select_internal

    splits = splits or ("train", "test")
    internal = [s for s in splits if is_internal(s)]
    golds = load_gold(path, data_dir, tuple(sorted({"train" if is_internal(s) else s for s in splits})))
    if internal:
        train = [g for g in golds if g.split == "train"]
        chosen = {id(g) for split in internal
                  for g in select_internal(train, lambda g: (g.note.source, g.note.note_id), split)}
        golds = [g for g in golds if id(g) in chosen or g.split in splits]
    phi = physionet_gold_phi(data_dir) if mask_phi and any(g.note.source == "physionet" for g in golds) else {}
    documents = []
    for gold in golds:
        index = {entity.id: i for i, entity in enumerate(gold.note.entities)}
        spans = tuple((e.start, e.end, e.label) for e in gold.note.entities)
        links = tuple((index[head], index[tail]) for head, tail in gold.note.relations)
        document = Document(f"{gold.note.source}/{gold.note.note_id}", gold.text, spans, links)
        if gold.note.source == "physionet" and mask_phi:
            document = mask_document(document, phi.get(gold.note.note_id, []))
        documents.append(document)
    return documents


def load_documents(spec: str, data_format: str | None = None, data_dir: Path | None = None,
                   mask_phi: bool = False) -> list[Document]:
    """Documents with character spans (every format but ``conll``, which has no text to offset into);
    ``mask_phi`` masks gold PHI in the PhysioNet notes of ``medication-json``."""
    path, splits = parse_spec(spec)
    data_format = data_format or detect_format(path)
    if data_format == "brat":
        return [brat.to_document(d) for d in brat.read_directory(path)]
    if data_format == "phee":
        return [brat.phee_medication_document(d) for d in brat.read_directory(path)]
    if data_format == "i2b2":
        return _i2b2_documents(path)
    if data_format == "physionet":
        return _physionet_documents(path)
    if data_format == "medication-json":
        return _medication_json_documents(path, splits, data_dir, mask_phi)
    raise ValueError(f"format {data_format!r} has no documents (known: {', '.join(FORMATS)})")


def load_examples(spec: str, data_format: str | None = None, labels: Mapping[str, str] | None = None,
                  max_tokens: int = DEFAULT_MAX_TOKENS, data_dir: Path | None = None,
                  mask_phi: bool = False) -> list[Example]:
    """Sentences with token spans, labels renamed by ``labels`` (labels not in it dropped; ``None`` keeps all)."""
    path, _ = parse_spec(spec)
    data_format = data_format or detect_format(path)
    if data_format == "conll":
        examples = conll.read(path)
        if labels is None:
            return examples
        return [Example(e.id, e.tokens, tuple((s, t, labels[label]) for s, t, label in e.spans if label in labels))
                for e in examples]
    return documents_examples(load_documents(spec, data_format, data_dir, mask_phi), labels, max_tokens)
