"""ReadNotes throughput and peak memory on a .tar.gz and a CSV, at two input sizes.

    python benchmarks/read_notes.py --sizes 10000 100000

Generates notes by resampling MTSamples transcriptions (``../shared/data``; a synthetic note when absent) into
``notes.tar.gz`` (one member per note) and ``notes.csv`` (id,text), under a temporary directory. Each measurement
runs in a fresh child process so its peak RSS (VmHWM) is its own: the Beam job ``ReadNotes -> count`` on
DirectRunner (with and without the cross-file duplicate-id check), and, as the baseline in the same run, the bare reader loop (``iter_tar`` / ``iter_csv`` plus decoding,
no Beam). Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path


def sample_texts() -> list[str]:
    try:
        from ehr_models.formats.corpora import corpus_texts

        return list(corpus_texts("mtsamples").values())
    except (FileNotFoundError, OSError):
        return ["Lasix 40 mg IV BID for CHF; metoprolol 25 mg PO daily. " * 50]


def generate(directory: Path, count: int) -> tuple[Path, Path]:
    texts = sample_texts()
    tar_path, csv_path = directory / "notes.tar.gz", directory / "notes.csv"
    with tarfile.open(tar_path, "w:gz", compresslevel=1) as archive, open(csv_path, "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["note_id", "text"])
        for i in range(count):
            data = texts[i % len(texts)].encode()
            info = tarfile.TarInfo(f"notes/{i:08d}.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            writer.writerow([f"n{i}", texts[i % len(texts)]])
    return tar_path, csv_path


def peak_rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, path: str) -> dict:
    started = time.perf_counter()
    if mode in ("beam", "beam-no-cross-file-check"):
        import apache_beam as beam
        from apache_beam.metrics import Metrics, MetricsFilter
        from apache_beam.options.pipeline_options import PipelineOptions

        from pipelines.runner import create_pipeline
        from transforms.read import ReadConfig, ReadNotes

        counter = Metrics.counter("bench", "notes")
        pipeline = create_pipeline(PipelineOptions(["--runner=DirectRunner"]))
        config = ReadConfig(cross_file_duplicates=mode == "beam")
        read = pipeline | ReadNotes(path, "bench", config=config)
        _ = read["notes"] | beam.Map(lambda note: counter.inc())
        result = pipeline.run()
        result.wait_until_finish()
        (notes,) = [c.committed for c in result.metrics().query(MetricsFilter().with_name("notes"))["counters"]]
    else:
        from ehr_models.formats.archives import iter_tar
        from ehr_models.formats.tables import iter_csv
        from ehr_models.text.decoding import decode_note

        notes = 0
        with open(path, "rb") as handle:
            if path.endswith(".tar.gz"):
                for member in iter_tar(handle, "notes"):
                    decode_note(member.data)
                    notes += 1
            else:
                notes = sum(1 for row in iter_csv(handle) if row.text)
    seconds = time.perf_counter() - started
    return {"notes": notes, "seconds": round(seconds, 2), "notes_per_s": round(notes / seconds),
            "peak_rss_mb": round(peak_rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            paths = generate(Path(tmp), size)
            megabytes = {p.suffix: round(p.stat().st_size / 1e6, 1) for p in paths}
            for path in paths:
                for mode in ("baseline", "beam", "beam-no-cross-file-check"):
                    done = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True,
                                          text=True, check=True)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    print(json.dumps({"input": path.name, "file_mb": megabytes[path.suffix], "mode": mode, **result}),
                          flush=True)


if __name__ == "__main__":
    main()
