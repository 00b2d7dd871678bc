"""Speed of the default medication annotator (``build_annotator("medication")``) per stage, with an output check.

    nice -n 10 python benchmarks/medication_speed.py --notes 100 --save /tmp/ehrbeam-s2/speed/before.json
    nice -n 10 python benchmarks/medication_speed.py --notes 100 --reference /tmp/ehrbeam-s2/speed/before.json

Input: the first ``--notes`` distinct MTSamples transcriptions (note-id order, ~3 KB each). One torch thread.
Rows (notes per CPU-second and CPU ms a note, and the same by wall clock; best of ``--repeat`` passes after one
warm-up pass):

- ``tagger``: the BiLSTM-CRF NER over all the notes (``MedicationAnnotator.ner.predict_batch``);
- ``rules``: the rules annotator, note by note (the hybrid takes frequency/duration from it, route/reason union);
- ``relations, per note``: ``linker.link`` note by note on the combined entities (one forward pass a note);
- ``relations, batched``: ``linker.link_batch`` on all the notes at once, when the linker has it;
- ``predict_batch``: the whole annotator on all the notes;
- ``predict_batch, N torch threads``: the same with a torch thread per core (torch's default, and the annotator's
  before it defaulted to one thread) on the first ``--thread-notes`` notes, its outputs checked against one thread.

The outputs (entities, relations with scores) of ``predict_batch`` are hashed into a fingerprint; ``--save``
writes them, ``--reference`` compares against a saved run: same entities, same relations, scores within 1e-4.
Also checked in the same run: batched linking gives the per-note relations. Prints one JSON object; no note text
is printed or stored in the saved file beyond offsets and labels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from pathlib import Path

import torch

from ehr_models.annotation import Annotation
from ehr_models.formats.corpora import default_data_dir, mtsamples_texts
from ehr_models.medication.annotator import MedicationAnnotator, combine

TOLERANCE = 1e-4


def forget_tokens() -> None:
    from ehr_models.text import tokenizer

    with tokenizer._cache_lock:
        tokenizer._cache.clear()
        tokenizer._cached_chars = 0


def distinct_texts(count: int) -> list[str]:
    """The first ``count`` distinct non-empty MTSamples transcriptions in note-id order."""
    texts = mtsamples_texts(default_data_dir())
    ordered = sorted(texts, key=lambda note_id: (len(note_id), note_id))
    return [text for text in dict.fromkeys(texts[i] for i in ordered) if text.strip()][:count]


def best_seconds(work, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best process CPU seconds of ``repeat`` passes (CPU time is the steadier reading on a
    shared machine: other processes' load stretches wall time, not this process's CPU time). The tokenizer's
    recent-notes cache is emptied before each pass: a pipeline sees each note once, so a pass must not reuse the
    previous pass's tokens (within a pass the stages share them, as in the pipeline)."""
    work()  # warm-up: first-call allocations, caches
    wall = cpu = float("inf")
    for _ in range(repeat):
        forget_tokens()
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu


def row(notes: int, seconds: tuple[float, float]) -> dict:
    wall, cpu = seconds
    return {"notes_per_cpu_s": round(notes / cpu, 1), "cpu_ms_per_note": round(1000 * cpu / notes, 2),
            "notes_per_s": round(notes / wall, 1), "ms_per_note": round(1000 * wall / notes, 2)}


def as_records(annotations: list[Annotation]) -> list[dict]:
    """Offsets, labels and scores only (no text)."""
    return [{"entities": [[e.start, e.end, e.label, e.score] for e in a.entities],
             "relations": [[r.head, r.tail, r.score] for r in a.relations]} for a in annotations]


def fingerprint(records: list[dict], scores: bool) -> str:
    """sha256 of the outputs; without ``scores`` the relation scores are left out (they may move within 1e-4)."""
    kept = records if scores else [{"entities": r["entities"], "relations": [x[:2] for x in r["relations"]]}
                                   for r in records]
    return "sha256:" + hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()


def differences(records: list[dict], reference: list[dict]) -> dict:
    """Notes whose entities or relation pairs differ, and the largest relation score difference elsewhere."""
    entity_diff = relation_diff = 0
    worst = 0.0
    for mine, theirs in zip(records, reference, strict=True):
        if mine["entities"] != theirs["entities"]:
            entity_diff += 1
            continue
        if [r[:2] for r in mine["relations"]] != [r[:2] for r in theirs["relations"]]:
            relation_diff += 1
            continue
        worst = max([worst] + [abs(a[2] - b[2]) for a, b in zip(mine["relations"], theirs["relations"])])
    return {"notes_with_other_entities": entity_diff, "notes_with_other_relations": relation_diff,
            "max_relation_score_difference": round(worst, 6),
            "equal": entity_diff == 0 and relation_diff == 0 and worst <= TOLERANCE + 1e-9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--thread-notes", type=int, default=20,
                        help="notes for the row with a torch thread per core (slow on a busy machine)")
    parser.add_argument("--save", help="write the outputs (offsets, labels, scores) to this JSON file")
    parser.add_argument("--reference", help="compare the outputs with a file written by --save")
    args = parser.parse_args()
    torch.set_num_threads(1)

    texts = distinct_texts(args.notes)
    annotator = MedicationAnnotator(threads=1)
    annotator.warm_up()
    n = len(texts)
    linker = annotator.relation_linker
    sources = annotator.label_sources
    tagged = annotator.ner.predict_batch(texts)
    ruled = [annotator.rules.predict(text).entities for text in texts]
    entity_lists = [combine(a.entities, r, sources) for a, r in zip(tagged, ruled)]

    stages = {
        "tagger": best_seconds(lambda: annotator.ner.predict_batch(texts), args.repeat),
        "rules": best_seconds(lambda: [annotator.rules.predict(text) for text in texts], args.repeat),
        "relations, per note": best_seconds(
            lambda: [linker.link(t, e) for t, e in zip(texts, entity_lists)], args.repeat),
    }
    per_note = [linker.link(t, e) for t, e in zip(texts, entity_lists)]
    batched_equal = None
    if hasattr(linker, "link_batch"):
        stages["relations, batched"] = best_seconds(lambda: linker.link_batch(texts, entity_lists), args.repeat)
        batched = [Annotation(e, r) for e, r in zip(entity_lists, linker.link_batch(texts, entity_lists))]
        batched_equal = differences(as_records(batched),
                                    as_records([Annotation(e, r) for e, r in zip(entity_lists, per_note)]))
    stages["predict_batch"] = best_seconds(lambda: annotator.predict_batch(texts), args.repeat)

    records = as_records(annotator.predict_batch(texts))
    few = texts[: args.thread_notes]
    threaded = MedicationAnnotator(threads=os.cpu_count())  # torch's own default: a thread per core
    threaded.warm_up()
    stages[f"predict_batch, {os.cpu_count()} torch threads ({len(few)} notes)"] = best_seconds(
        lambda: threaded.predict_batch(few), args.repeat)
    threaded_equal = differences(as_records(threaded.predict_batch(few)), records[: len(few)])
    torch.set_num_threads(1)
    report = {
        "notes": n, "mean_note_chars": round(sum(map(len, texts)) / n), "threads": torch.get_num_threads(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "linker": linker.to_dict().get("type"), "sources": sources,
        "stages": {name: row(len(few) if "threads" in name else n, seconds) for name, seconds in stages.items()},
        "entities": sum(len(r["entities"]) for r in records),
        "relations": sum(len(r["relations"]) for r in records),
        "fingerprint_no_scores": fingerprint(records, scores=False),
        "fingerprint": fingerprint(records, scores=True),
        "batched_vs_per_note": batched_equal,
        "threads_vs_one_thread": threaded_equal,
    }
    if args.reference:
        report["vs_reference"] = differences(records, json.loads(Path(args.reference).read_text())["records"])
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(json.dumps({"report": report, "records": records}))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
