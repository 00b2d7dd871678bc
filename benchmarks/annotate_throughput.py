"""End-to-end throughput of ``pipelines.annotate`` (rules annotator) against the bare annotator loop.

    python benchmarks/annotate_throughput.py --notes 2000 [--workers 2]

Writes MTSamples transcriptions (``../shared/data``) as one ``.txt`` file each into a temporary directory, then
times (1) the annotator alone in a Python loop over the same texts (the floor: no I/O, no Beam) and (2) the whole
job, DirectRunner, reading files and writing Parquet. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from ehr_models.formats.corpora import corpus_texts
from ehr_models.rules import RuleAnnotator
from pipelines.annotate import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1, help="direct_num_workers (multi_processing when > 1)")
    parser.add_argument("--deid", action="store_true",
                        help="include de-identification (the job's default); the BENCHMARKS.md rows were taken "
                             "without it, so the bare annotator loop is a like-for-like baseline")
    args = parser.parse_args()
    texts = list(corpus_texts("mtsamples").values())
    texts = [texts[i % len(texts)] for i in range(args.notes)]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6

    annotator = RuleAnnotator()
    annotator.warm_up()
    started = time.perf_counter()
    for text in texts:
        annotator.predict(text)
    loop_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes"
        notes.mkdir()
        for i, text in enumerate(texts):
            (notes / f"{i:07d}.txt").write_text(text, encoding="utf-8")
        argv = ["--runner=DirectRunner", "--input", str(notes), "--output", str(Path(tmp) / "out")]
        if not args.deid:
            argv.append("--skip_deid")
        if args.workers > 1:
            argv += [f"--direct_num_workers={args.workers}", "--direct_running_mode=multi_processing"]
        started = time.perf_counter()
        summary = run(argv)
        job_s = time.perf_counter() - started

    print(json.dumps({
        "notes": args.notes, "megabytes": round(megabytes, 2), "workers": args.workers, "deid": args.deid,
        "annotator_loop_notes_per_s": round(args.notes / loop_s, 1),
        "pipeline_notes_per_s": round(args.notes / job_s, 1), "pipeline_seconds": round(job_s, 1),
        "entities": sum(summary["entities_by_label"].values()),
        "peak_rss_mb_launcher": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }))


if __name__ == "__main__":
    main()
