"""Pretraining throughput on a generated corpus of real sentences: the Beam corpus stage, and training against
plain gensim.

    python benchmarks/pretrain_throughput.py --tokens 50000000 --workdir /tmp/ehrbeam-bench

1. Generates notes under ``--workdir`` (never in the repository): sentence-like segments of the real corpus
   (``ehr_models.embeddings.release.corpus_documents`` over ``../shared/data``) drawn at random with a fixed seed,
   25 a note, in 4 equal parts: one ``.txt`` file a note (``--layout files``) or one JSONL file a part
   (``--layout jsonl``: note_id and text columns).
2. Beam stage (``python -m pipelines.pretrain --skip_training``, DirectRunner, one worker, each run in its own
   process so its peak RSS is its own) on one part and on all four: MB/s and peak RSS. Also all four with
   ``--direct_num_workers=2 --direct_running_mode=multi_processing`` (MB/s only: the workers are other processes),
   and one part and all four without the notes/ and errors/ Parquet datasets (``corpus_only``).
3. Training on the full corpus, same file, same workers, same process, alternating: ours
   (``ehr_models.embeddings.training.train_vectors``: counts from the Beam stage, no scan of the text) against
   plain gensim ``Word2Vec`` on ``corpus_file`` (``build_vocab`` scans the file, then ``train``). Words/s counts
   raw tokens x epochs, for the training call alone and for the whole stage (vocabulary included).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

from gensim.models import Word2Vec

from ehr_models.embeddings.corpus import read_corpus_manifest
from ehr_models.embeddings.release import corpus_documents
from ehr_models.embeddings.training import TrainingOptions, local_corpus_file, train_vectors
from ehr_models.formats.corpora import default_data_dir
from ehr_models.text import segments, tokenize

PARTS = 4
SENTENCES_PER_NOTE = 25


def generate(notes_dir: Path, tokens: int, seed: int, layout: str) -> dict:
    pool = [text[a:b].strip() for _, text in corpus_documents(default_data_dir()) for a, b in segments(text)]
    sizes = [len(tokenize(sentence)) for sentence in pool]
    rng = random.Random(seed)
    per_part = tokens // PARTS
    written = {"pool_sentences": len(pool), "notes": 0, "tokens_estimate": 0, "bytes": 0}
    notes_dir.mkdir(parents=True)
    for part in range(PARTS):
        directory = notes_dir / f"part-{part}"
        jsonl = open(notes_dir / f"part-{part}.jsonl", "w", encoding="utf-8") if layout == "jsonl" else None
        if jsonl is None:
            directory.mkdir()
        part_tokens = 0
        while part_tokens < per_part:
            picks = [rng.randrange(len(pool)) for _ in range(SENTENCES_PER_NOTE)]
            text = "\n".join(pool[i] for i in picks) + "\n"
            note_id = f"{written['notes']:07d}"
            if jsonl is None:
                (directory / f"{note_id}.txt").write_text(text, encoding="utf-8")
            else:
                jsonl.write(json.dumps({"note_id": note_id, "text": text}) + "\n")
            part_tokens += sum(sizes[i] for i in picks)
            written["notes"] += 1
            written["bytes"] += len(text.encode("utf-8"))
        if jsonl is not None:
            jsonl.close()
        written["tokens_estimate"] += part_tokens
    return written


def input_bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def corpus_only(notes: str, output: str) -> None:
    """ReadNotes -> BuildCorpus without the notes/ and errors/ datasets (which part of the peak RSS is whose)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.runner import create_pipeline
    from transforms.io import ReadConfig, ReadNotes
    from transforms.pretrain import BuildCorpus

    with create_pipeline(PipelineOptions(["--runner=DirectRunner"])) as pipeline:
        read = pipeline | ReadNotes(notes, "bench", config=ReadConfig(cross_file_duplicates=False))
        _ = read["notes"] | BuildCorpus(str(Path(output) / "corpus"), "bench", 0, {})


def beam_stage(notes: Path, output: Path, workers: int, datasets: bool = True) -> dict:
    """One pipelines.pretrain corpus run in a child process; its wall time and peak RSS. ``datasets=False``: the
    corpus alone (``corpus_only``), one worker."""
    argv = [sys.executable, "-m", "pipelines.pretrain", "--runner=DirectRunner", "--skip_deid", "--skip_training",
            "--skip_cross_file_duplicate_check", "--input", str(notes), "--output", str(output)]
    if not datasets:
        argv = [sys.executable, __file__, "--corpus_only", str(notes), str(output)]
    elif workers > 1:
        argv += [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"pretrain corpus stage failed ({status})")
    megabytes = input_bytes(notes) / 1e6
    manifest = read_corpus_manifest(str(output / "corpus"))
    return {"datasets": datasets, "input_mb": round(megabytes, 1), "tokens": manifest["tokens"],
            "notes": manifest["notes"],
            "shards": len(manifest["shards"]), "workers": workers, "seconds": round(seconds, 1),
            "mb_per_s": round(megabytes / seconds, 2), "tokens_per_s": round(manifest["tokens"] / seconds),
            "peak_rss_mb": round(usage.ru_maxrss / 1024) if workers == 1 else None}


def ours(corpus_dir: str, options: TrainingOptions) -> dict:
    started = time.perf_counter()
    vectors, record = train_vectors(corpus_dir, options)
    total = time.perf_counter() - started
    words = record["corpus"]["tokens"] * options.epochs
    return {"train_s": record["train_seconds"], "total_s": round(total, 2),
            "train_words_per_s": round(words / record["train_seconds"]), "total_words_per_s": round(words / total),
            "vocabulary": len(vectors.index_to_key)}


def plain(corpus_file: str, options: TrainingOptions) -> dict:
    model = Word2Vec(sg=int(options.architecture == "skipgram"), vector_size=options.dimensions,
                     window=options.window, min_count=options.min_count, workers=options.workers, seed=options.seed,
                     epochs=options.epochs, negative=options.negative, sample=options.sample)
    started = time.perf_counter()
    model.build_vocab(corpus_file=corpus_file)
    scanned = time.perf_counter()
    model.train(corpus_file=corpus_file, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                epochs=options.epochs)
    done = time.perf_counter()
    words = model.corpus_total_words * options.epochs
    return {"train_s": round(done - scanned, 2), "total_s": round(done - started, 2),
            "train_words_per_s": round(words / (done - scanned)), "total_words_per_s": round(words / (done - started)),
            "vocabulary": len(model.wv.index_to_key)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=50_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ehrbeam-bench"))
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="training threads (both sides)")
    parser.add_argument("--architecture", default="cbow", choices=("cbow", "skipgram"))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2, help="alternating training runs per side")
    parser.add_argument("--skip_beam", action="store_true", help="reuse the corpus of an earlier run")
    parser.add_argument("--layout", default="files", choices=("files", "jsonl"))
    parser.add_argument("--skip_training", action="store_true", help="Beam stage only")
    parser.add_argument("--corpus_only", nargs=2, metavar=("INPUT", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.corpus_only:
        corpus_only(*args.corpus_only)
        return
    if args.workdir.resolve().is_relative_to(Path(__file__).resolve().parents[1]):
        raise SystemExit("--workdir must be outside the repository")
    notes = args.workdir / "notes"
    result: dict = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                    "load_before": os.getloadavg()}
    if not notes.exists():
        result["generated"] = generate(notes, args.tokens, args.seed, args.layout)
    full = args.workdir / "out-all"
    if not args.skip_beam:
        part = notes / ("part-0.jsonl" if args.layout == "jsonl" else "part-0")
        result["beam"] = [beam_stage(part, args.workdir / "out-part", 1), beam_stage(notes, full, 1),
                          beam_stage(notes, args.workdir / "out-all-2", 2),
                          beam_stage(part, args.workdir / "corpus-part", 1, datasets=False),
                          beam_stage(notes, args.workdir / "corpus-all", 1, datasets=False)]
    if args.skip_training:
        print(json.dumps(result, indent=1))
        return
    corpus_dir = str(full / "corpus")
    manifest = read_corpus_manifest(corpus_dir)
    corpus_file = local_corpus_file(corpus_dir, manifest["shards"], str(args.workdir))
    options = TrainingOptions(algorithm="word2vec", architecture=args.architecture, epochs=args.epochs,
                              workers=args.workers)
    runs: dict[str, list] = {"ours": [], "plain_gensim": []}
    for _ in range(args.repeats):
        runs["ours"].append(ours(corpus_dir, options))
        runs["plain_gensim"].append(plain(corpus_file, options))
    best = {side: max(r["train_words_per_s"] for r in rs) for side, rs in runs.items()}
    best_total = {side: max(r["total_words_per_s"] for r in rs) for side, rs in runs.items()}
    result["training"] = {"corpus_tokens": manifest["tokens"], "shards": len(manifest["shards"]),
                          "options": options.to_dict(), "runs": runs,
                          "ratio_train_words_per_s": round(best["ours"] / best["plain_gensim"], 3),
                          "ratio_total_words_per_s": round(best_total["ours"] / best_total["plain_gensim"], 3)}
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
