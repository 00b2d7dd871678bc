"""End to end: read -> de-identify -> NER -> relations -> Parquet, on MTSamples-sized notes, with baselines.

    python benchmarks/e2e_throughput.py --notes 10000 30000 --model rules --runners direct portable
    python benchmarks/e2e_throughput.py --notes 2000 --model medication --presidio 300 --json out.json

Notes are real MTSamples transcriptions (``../shared/data/mtsamples``, about 3 KB each) resampled with a fixed
seed to the sizes asked for, one ``.txt`` file each. Every pipeline run is its own process
(``python -m pipelines.annotate``, default options: de-identification on, RunInference, Parquet), so its wall
time includes start-up and the model load. Measured beside it, in the same invocation:

- the floor: the same de-identification engine and annotator over the same texts in a plain Python loop (no Beam,
  no I/O), first ``--loop`` notes;
- Presidio-only de-identification (``presidio-analyzer`` with spaCy's small English model, the driver and venv of
  ``benchmarks/deid_compare.py``) over the first ``--presidio`` of the same notes: its analyze() call alone;
- cTAKES: its published per-instance throughput (not run here: see ``CTAKES``).

Peak RSS is sampled every 0.2 s over the whole process tree of a run (launcher, and for the portable runner the
job service and the worker pool with its workers), summed: "launcher + workers"; ``largest_process_rss_mb`` gives
the peak of the largest single process of each role (launcher, sdk workers, job service, worker pool), which shows
whether a worker grows with the number of notes.

``portable`` runs against ``pipelines.portable``'s job service (Beam's local one, honouring
``--sdk_worker_parallelism=2``: Beam's own would run the job on one SDK worker) and Beam's EXTERNAL worker pool.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.dataset

from ehr_models.deid import DeidEngine
from ehr_models.formats.corpora import corpus_texts
from ehr_models.registry import build_annotator
from pipelines.portable import local_portable_services

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deid_compare import run_peer  # noqa: E402  (a sibling script, not a package)

# cTAKES: Afshar et al., "Development and application of a high throughput natural language processing
# architecture to convert all clinical documents in a clinical data warehouse into standardized medical
# vocabularies", JAMIA 26(11), 2019: 83.9M documents in 13.33 days, "more than 500 000 documents per hour across 30
# parallel instances" of cTAKES, i.e. 500000 / 3600 / 30 = 4.6 notes/s per instance. Not run here (Java, UMLS).
CTAKES = {"notes_per_second_per_instance": round(500_000 / 3600 / 30, 1),
          "source": "Afshar et al., JAMIA 26(11) 2019: >500,000 documents/hour over 30 cTAKES instances"}
PAGE = os.sysconf("SC_PAGE_SIZE")
RUNNERS = {"direct": ["--runner=DirectRunner"],
           "direct2": ["--runner=DirectRunner", "--direct_num_workers=2", "--direct_running_mode=multi_processing"],
           "portable": ["--sdk_worker_parallelism=2"]}


TICKS = os.sysconf("SC_CLK_TCK")


ROLES = (("pipelines.annotate", "launcher"), ("sdk_worker", "sdk workers"), ("SdkHarness", "sdk workers"),
         ("pipelines.portable", "job service"), ("local_job_service", "job service"),
         ("worker_pool_main", "worker pool"))


def role(pid: int) -> str:
    """What a process of a run is, from its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().decode(errors="replace")
    except OSError:
        return "other"
    return next((name for marker, name in ROLES if marker in command), "other")


def tree_rss(roots: list[int], cpu: dict[int, float] | None = None, each: dict[int, int] | None = None) -> int:
    """Resident bytes of ``roots`` and all their descendants (from /proc); ``cpu`` collects each one's CPU
    seconds (user + system) as last seen, ``each`` each one's resident bytes now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/statm") as handle:
                rss[int(entry)] = int(handle.read().split()[1]) * PAGE
            ticks[int(entry)] = (int(fields[11]) + int(fields[12])) / TICKS
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack, seen = 0, list(roots), set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss.get(pid, 0)
        if each is not None and pid in rss:
            each[pid] = rss[pid]
        if cpu is not None and pid in ticks:
            cpu[pid] = ticks[pid]
        stack.extend(children.get(pid, []))
    return total


class PeakSampler(threading.Thread):
    def __init__(self, roots: list[int], interval_s: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.interval_s = interval_s
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self.peak_each: dict[int, int] = {}  # per process: its own peak
        self.roles: dict[int, str] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval_s):
            now: dict[int, int] = {}
            self.peak = max(self.peak, tree_rss(self.roots, self.cpu, now))
            for pid, rss in now.items():
                self.peak_each[pid] = max(self.peak_each.get(pid, 0), rss)
                if pid not in self.roles:
                    self.roles[pid] = role(pid)

    def peaks_by_role(self) -> dict[str, int]:
        """MB: the largest single process of each role (so workers that grow with the notes show up)."""
        largest: dict[str, int] = {}
        for pid, rss in self.peak_each.items():
            name = self.roles.get(pid, "other")
            largest[name] = max(largest.get(name, 0), round(rss / 2**20))
        return largest

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return self.peak


def resample(count: int, seed: int) -> list[str]:
    texts = [t for t in corpus_texts("mtsamples").values() if t.strip()]
    rng = random.Random(seed)
    return [rng.choice(texts) for _ in range(count)]


def write_notes(texts: list[str], directory: Path) -> None:
    directory.mkdir(parents=True)
    for i, text in enumerate(texts):
        (directory / f"{i:07d}.txt").write_text(text, encoding="utf-8")


def run_pipeline(notes: Path, output: Path, model: str, runner_args: list[str], extra_roots: list[int]) -> dict:
    command = [sys.executable, "-m", "pipelines.annotate", "--input", str(notes), "--output", str(output),
               f"--model={model}", *runner_args]
    extra_cpu_before: dict[int, float] = {}
    tree_rss(extra_roots, extra_cpu_before)  # the portable services' CPU before this run
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = PeakSampler([process.pid, *extra_roots])
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    peak = sampler.stop()
    baseline_cpu = sum(extra_cpu_before.values())
    if process.returncode != 0:
        raise RuntimeError(f"pipeline failed ({process.returncode}): {stderr[-2000:]}")
    manifest = json.loads(next((output / "runs").glob("*.json")).read_text())
    annotated = manifest["notes_by_status"].get("annotated", 0)
    rows = pyarrow.dataset.dataset(output / "entities", format="parquet").to_table(
        columns=["note_id", "start", "end", "label"]).to_pylist()
    fingerprint = hashlib.sha256(repr(sorted(tuple(r.values()) for r in rows)).encode()).hexdigest()[:16]
    return {"seconds": round(seconds, 1), "notes_per_second": round(annotated / seconds, 1),
            "annotated": annotated, "errors": sum(manifest["errors_by_stage"].values()),
            "entities": sum(manifest["entities_by_label"].values()), "relations": manifest["relations"],
            "stage_seconds": manifest["stage_seconds"], "peak_rss_mb": round(peak / 2**20),
            "largest_process_rss_mb": sampler.peaks_by_role(),
            "entities_fingerprint": fingerprint,
            # CPU seconds of the whole tree (sampled: processes shorter than 0.2 s are missed): on a busy shared
            # box wall time is an upper bound, CPU per note is what an idle machine would see.
            "cpu_seconds": round(sum(sampler.cpu.values()) - baseline_cpu, 1),
            "notes_per_cpu_second": round(annotated / max(sum(sampler.cpu.values()) - baseline_cpu, 1e-9), 1)}


def floor_loop(texts: list[str], model: str) -> dict:
    """De-identification engine + annotator over the texts in one Python loop: no Beam, no I/O."""
    engine, annotator = DeidEngine(), build_annotator(model)
    getattr(annotator, "warm_up", lambda: None)()
    engine.deidentify("warm up")
    started = time.perf_counter()
    predict_batch = getattr(annotator, "predict_batch", None)
    deidentified = [engine.deidentify(text, mode="mask").text for text in texts]
    deid_s = time.perf_counter() - started
    if predict_batch is not None:
        for at in range(0, len(deidentified), 64):
            predict_batch(deidentified[at:at + 64])
    else:
        for text in deidentified:
            annotator.predict(text)
    seconds = time.perf_counter() - started
    return {"notes": len(texts), "seconds": round(seconds, 1), "notes_per_second": round(len(texts) / seconds, 1),
            "deid_notes_per_second": round(len(texts) / deid_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notes", type=int, nargs="+", default=[10000])
    parser.add_argument("--model", default="rules")
    parser.add_argument("--runners", nargs="+", default=["direct2", "portable"], choices=tuple(RUNNERS),
                        help="direct: in-process, one worker; direct2: two worker processes; portable: local job "
                             "service + EXTERNAL worker pool, two SDK workers")
    parser.add_argument("--loop", type=int, default=1000, help="notes for the plain-loop floor (0: skip)")
    parser.add_argument("--presidio", type=int, default=300, help="notes for the Presidio pass (0: skip)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    largest = max(args.notes)
    texts = resample(largest, args.seed)
    result = {"model": args.model, "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
              "mean_note_bytes": round(sum(len(t.encode()) for t in texts) / len(texts)), "runs": [],
              "ctakes": CTAKES}
    if args.loop:
        result["floor_loop"] = floor_loop(texts[:args.loop], args.model)
        print(json.dumps({"floor_loop": result["floor_loop"]}), flush=True)
    if args.presidio:
        found = run_peer("presidio", texts[:args.presidio])  # (spans, seconds[, cpu seconds])
        seconds = found[1]
        result["presidio"] = {"notes": args.presidio, "seconds": round(seconds, 1),
                              "notes_per_second": round(args.presidio / seconds, 1)}
        if len(found) > 2:
            result["presidio"]["cpu_seconds"] = round(found[2], 1)
        print(json.dumps({"presidio": result["presidio"]}), flush=True)
    with tempfile.TemporaryDirectory(prefix="ehrbeam-e2e-") as tmp:
        for count in sorted(args.notes):
            notes = Path(tmp) / f"notes-{count}"
            write_notes(texts[:count], notes)
            for runner in args.runners:
                with contextlib.ExitStack() as stack:
                    runner_args, pids = list(RUNNERS[runner]), []
                    if runner == "portable":
                        services = stack.enter_context(local_portable_services())
                        runner_args, pids = services.runner_args + runner_args, [p.pid for p in services.processes]
                    row = run_pipeline(notes, Path(tmp) / f"out-{count}-{runner}", args.model, runner_args, pids)
                row.update(notes=count, runner=runner)
                result["runs"].append(row)
                print(json.dumps(row), flush=True)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
