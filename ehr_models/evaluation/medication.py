"""Score a medication annotator against gold documents: entities per label and relations, exact and overlap."""

from __future__ import annotations

from typing import Iterable

from ehr_models.annotation import LABELS, Annotator
from ehr_models.evaluation.gold import GoldDocument
from ehr_models.evaluation.spans import Link, Span, score_entities, score_relations


def gold_spans(document: GoldDocument) -> tuple[list[Span], list[Link]]:
    by_id = {e.id: (e.start, e.end, e.label) for e in document.note.entities}
    return list(by_id.values()), [(by_id[head], by_id[tail]) for head, tail in document.note.relations]


def predicted_spans(annotator: Annotator, text: str) -> tuple[list[Span], list[Link]]:
    annotation = annotator.predict(text)
    spans = [(e.start, e.end, e.label) for e in annotation.entities]
    return spans, [(spans[r.head], spans[r.tail]) for r in annotation.relations]


def evaluate(annotator: Annotator, documents: Iterable[GoldDocument]) -> dict:
    """``{"exact": {...}, "overlap": {...}}``, each with ``entities`` and ``relations`` score dicts."""
    pairs = [(predicted_spans(annotator, d.text), gold_spans(d)) for d in documents]
    result = {}
    for mode, overlap in (("exact", False), ("overlap", True)):
        entities = score_entities(((p[0], g[0]) for p, g in pairs), overlap=overlap)
        relations = score_relations(((p[1], g[1]) for p, g in pairs), overlap=overlap)
        result[mode] = {"entities": entities.to_dict(), "relations": relations.to_dict()}
    result["documents"] = len(pairs)
    return result


def format_table(name: str, result: dict) -> str:
    lines = [f"{name}: {result['documents']} notes",
             f"{'label':<12}{'exact P':>9}{'R':>7}{'F1':>7}{'overlap P':>11}{'R':>7}{'F1':>7}{'gold':>6}"]
    for label in ("micro",) + LABELS + ("relations",):
        if label == "relations":
            exact, overlap = result["exact"]["relations"]["micro"], result["overlap"]["relations"]["micro"]
        else:
            exact = result["exact"]["entities"].get(label)
            overlap = result["overlap"]["entities"].get(label)
            if exact is None:
                continue
        gold = exact["tp"] + exact["fn"]
        lines.append(f"{label:<12}{exact['precision']:>9.3f}{exact['recall']:>7.3f}{exact['f1']:>7.3f}"
                     f"{overlap['precision']:>11.3f}{overlap['recall']:>7.3f}{overlap['f1']:>7.3f}{gold:>6}")
    return "\n".join(lines)
