"""Score a model (or a directory of predictions) against annotated data.

    python -m ehr_models.evaluate --model /tmp/bc5cdr-chem --data ../shared/data/biomed-ner/BC5CDR-chem/test.tsv
    python -m ehr_models.evaluate --model rules --data gold/medication::test --json
    python -m ehr_models.evaluate --predictions system/ --data gold/ --format i2b2

Entities: precision, recall and F1 per label and micro, exact (same label and offsets) and overlap (same label, a
shared character; ``ehr_models.evaluation.spans``). With links in the gold data: relations too. With the medication
labels: the i2b2 2009 entry metrics, system level (micro over all entries of all notes):

- entries are paired by their medication (exact: same offsets; inexact: overlapping), each at most once;
- in a paired entry, each field value (dosage, route...) counts as a true positive when the gold entry has a
  matching value for that field, a false positive otherwise; gold values left unmatched are false negatives; the
  values of unpaired entries are all false positives (system) or false negatives (gold); "nm" counts for nothing;
- vertical = those counts per field (m, do, mo, f, du, r); horizontal = all fields together.

``--model`` is a model directory or an annotator registry name (``rules``). CoNLL data is scored on token spans
with a tagger; every other format on character spans with an annotator over each document's text.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Iterable, Sequence

from ehr_models.annotation import Annotation
# The greedy one-to-one span matcher behind score_entities: entries pair up by the same rule as entities do.
from ehr_models.evaluation.spans import Scores, match_spans, score_entities, score_relations
from ehr_models.formats.examples import Document
from ehr_models.formats.i2b2 import FIELDS, CharEntry, document_entries
from ehr_models.formats.medication_json import LABELS
from ehr_models.tagging.datasets import FORMATS, detect_format, load_documents, load_examples, parse_label_map, \
    parse_spec

logger = logging.getLogger("ehr_models.evaluate")
MODES = (("exact", False), ("overlap", True))
_CHUNK = 64  # documents per annotator batch: full network batches without holding every text's tokens at once


def score_entries(documents: Iterable[tuple[Sequence[CharEntry], Sequence[CharEntry]]],
                  overlap: bool = False) -> Scores:
    """i2b2 2009 counts per field code over ``(predicted entries, gold entries)`` per document (see module doc)."""
    scores = Scores()
    for predicted, gold in documents:
        # Every entry has a medication, so list positions stay aligned with entry positions.
        medications = [[(*entry["m"][0], "m") for entry in entries] for entries in (predicted, gold)]
        pairs = match_spans(medications[0], medications[1], overlap)
        for i, entry in enumerate(predicted):
            other = gold[pairs[i]] if i in pairs else {}
            for code in FIELDS:
                mine = [(s, e, code) for s, e in entry.get(code, [])]
                theirs = [(s, e, code) for s, e in other.get(code, [])]
                found = len(match_spans(mine, theirs, overlap))
                counts = scores.by_label[code]
                counts.tp, counts.fp, counts.fn = counts.tp + found, counts.fp + len(mine) - found, \
                    counts.fn + len(theirs) - found
        for j in set(range(len(gold))) - set(pairs.values()):
            for code in FIELDS:
                scores.by_label[code].fn += len(gold[j].get(code, []))
    return scores


def annotation_document(document_id: str, text: str, annotation: Annotation) -> Document:
    spans = tuple((e.start, e.end, e.label) for e in annotation.entities)
    return Document(document_id, text, spans, tuple((r.head, r.tail) for r in annotation.relations))


def _links(document: Document) -> list:
    return [(document.spans[h], document.spans[t]) for h, t in document.links]


def score_documents(pairs: Sequence[tuple[Document, Document]]) -> dict:
    """Entity and relation scores, exact and overlap; the i2b2 entry metrics when medications are present."""
    result: dict = {"documents": len(pairs)}
    medication = any(s[2] == "medication" for _, gold in pairs for s in gold.spans)
    has_links = any(gold.links for _, gold in pairs)
    for mode, overlap in MODES:
        entities = score_entities(((list(p.spans), list(g.spans)) for p, g in pairs), overlap)
        result[mode] = {"entities": entities.to_dict()}
        if has_links:
            relations = score_relations(((_links(p), _links(g)) for p, g in pairs), overlap)
            result[mode]["relations"] = relations.to_dict()
    if medication and set(LABELS.values()) >= {s[2] for _, g in pairs for s in g.spans}:
        entries = [(document_entries(p), document_entries(g)) for p, g in pairs]
        result["i2b2"] = {}
        for mode, overlap in (("exact", False), ("inexact", True)):
            counts = score_entries(entries, overlap)
            result["i2b2"][mode] = {"horizontal": counts.micro.to_dict(),
                                    "vertical": {code: counts.by_label[code].to_dict() for code in FIELDS}}
    return result


def _annotator(model: str, threads: int | None = None):
    if Path(model).is_dir():
        from ehr_models.tagging.annotator import TaggerAnnotator

        return TaggerAnnotator(model, threads=threads)
    from ehr_models.registry import build_annotator

    return build_annotator(model)


def evaluate_model_on_documents(model: str, gold: Sequence[Document],
                                threads: int | None = None) -> list[tuple[Document, Document]]:
    annotator = _annotator(model, threads)
    batch = getattr(annotator, "predict_batch", None)
    predicted: list[Annotation] = []
    for start in range(0, len(gold), _CHUNK):
        texts = [d.text for d in gold[start:start + _CHUNK]]
        predicted.extend(batch(texts) if batch else [annotator.predict(t) for t in texts])
    return [(annotation_document(g.id, g.text, a), g) for a, g in zip(predicted, gold)]


def evaluate_token_spans(model: str, spec: str, data_format: str | None, labels,
                         threads: int | None = None) -> dict:
    """A tagger on CoNLL sentences: token-span scores, exact and overlap."""
    from ehr_models.tagging.predictor import Tagger

    examples = load_examples(spec, data_format, labels)
    predicted = Tagger.load(model, threads=threads).predict_batch([e.tokens for e in examples])
    result: dict = {"sentences": len(examples)}
    for mode, overlap in MODES:
        scores = score_entities(((list(p), list(e.spans)) for p, e in zip(predicted, examples)), overlap)
        result[mode] = {"entities": scores.to_dict()}
    return result


def relabel_document(document: Document, labels: dict[str, str] | None) -> Document:
    """Keep the spans whose label is in ``labels`` (renamed), and the links between kept spans."""
    if labels is None:
        return document
    keep = [i for i, s in enumerate(document.spans) if s[2] in labels]
    index = {old: new for new, old in enumerate(keep)}
    spans = tuple((document.spans[i][0], document.spans[i][1], labels[document.spans[i][2]]) for i in keep)
    links = tuple((index[h], index[t]) for h, t in document.links if h in index and t in index)
    return Document(document.id, document.text, spans, links)


def format_table(result: dict) -> str:
    """Per-label exact and overlap P/R/F1 (and the i2b2 block when present) as aligned text."""
    lines = [f"{'label':<16}{'exact P':>9}{'R':>7}{'F1':>7}{'overlap P':>11}{'R':>7}{'F1':>7}{'gold':>7}"]

    def row(name: str, exact: dict, inexact: dict) -> str:
        return (f"{name:<16}{exact['precision']:>9.4f}{exact['recall']:>7.4f}{exact['f1']:>7.4f}"
                f"{inexact['precision']:>11.4f}{inexact['recall']:>7.4f}{inexact['f1']:>7.4f}"
                f"{exact['tp'] + exact['fn']:>7}")

    exact, overlap = result["exact"], result["overlap"]
    for label in exact["entities"]:
        lines.append(row(label, exact["entities"][label], overlap["entities"][label]))
    if "relations" in exact:
        lines.append(row("relations", exact["relations"]["micro"], overlap["relations"]["micro"]))
    if "i2b2" in result:
        lines.append("i2b2 2009 entries, system level (exact / inexact)")
        i2b2 = result["i2b2"]
        lines.append(row("horizontal", i2b2["exact"]["horizontal"], i2b2["inexact"]["horizontal"]))
        for code in FIELDS:
            lines.append(row(f"vertical {code}", i2b2["exact"]["vertical"][code], i2b2["inexact"]["vertical"][code]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ehr_models.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="model directory or annotator name (rules)")
    source.add_argument("--predictions", help="predicted annotations, same format as --data")
    p.add_argument("--data", required=True, help="gold data spec (PATH or PATH::SPLITS)")
    p.add_argument("--format", choices=FORMATS)
    p.add_argument("--labels", help="keep and rename gold (and prediction file) labels: 'Drug=medication,...'")
    p.add_argument("--data-dir", type=Path, help="shared corpora for medication-json (default ../shared/data)")
    p.add_argument("--mask-phi", action="store_true",
                   help="medication-json: score on PhysioNet notes with their gold PHI masked ([**NAME**]), the text "
                        "a model sees after the pipeline's de-identification")
    p.add_argument("--threads", type=int, help="torch threads for a model directory (default: torch's choice)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    labels = parse_label_map(args.labels)
    data_format = args.format or detect_format(parse_spec(args.data)[0])
    if data_format == "conll":
        if not args.model:
            raise SystemExit("CoNLL data is scored with --model (a tagger directory)")
        result = evaluate_token_spans(args.model, args.data, data_format, labels, args.threads)
    else:
        gold = [relabel_document(d, labels)
                for d in load_documents(args.data, data_format, args.data_dir, args.mask_phi)]
        if args.model:
            pairs = evaluate_model_on_documents(args.model, gold, args.threads)
        else:
            found = {d.id: relabel_document(d, labels)
                     for d in load_documents(args.predictions, data_format, args.data_dir)}
            pairs = [(found.get(g.id, Document(g.id, g.text)), g) for g in gold]
        result = score_documents(pairs)
    result = {"model": args.model, "predictions": args.predictions, "data": args.data, "format": data_format,
              **result}
    print(json.dumps(result) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
