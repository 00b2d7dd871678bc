"""BiLSTM-CRF tagger on the published NER tables (BC5CDR chemicals, NCBI-disease), with ablations.

    python benchmarks/ner_bc5cdr.py --corpus BC5CDR-chem --runs full random-emb no-chars softmax
    python benchmarks/ner_bc5cdr.py --corpus BC5CDR-chem --runs full --with-devel 20   # train+devel, 20 epochs
    python benchmarks/ner_bc5cdr.py --corpus NCBI-disease --runs full --embeddings DIR   # other vectors

Each run trains with ``python -m ehr_models.train`` (its defaults unless ``--extra`` adds flags): on the train split
with early stopping on devel, or with ``--with-devel N`` on train+devel for N epochs (N taken from a devel run's
best epoch), then scores the test split once (exact entity match, as the papers do). Runs: ``full`` = pretrained
embeddings (fine-tuned) + char CNN + CRF; ``random-emb`` = random 100-d embeddings; ``no-chars`` = no character
CNN; ``softmax`` = softmax head instead of the CRF; ``frozen`` = pretrained embeddings frozen. Without
``--embeddings`` the script trains a gensim Word2Vec (skip-gram, 100-d, cached in ``--work``) on MTSamples,
PhysioNet deid notes, PHEE train+dev and the BC5CDR and NCBI-disease train+devel text (never a test split),
normalized with ``ehr_models.text.normalize_token``. Models go under ``--work`` (default /tmp/ehrbeam-ner); each
finished run appends a JSON line (scores, epochs, time, the exact train command) to ``WORK/results.jsonl`` and the
script prints a markdown table of its runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shlex
import time
from pathlib import Path

import torch

from ehr_models import train as train_cli
from ehr_models.evaluate import evaluate_token_spans
from ehr_models.formats import conll
from ehr_models.formats.corpora import default_data_dir, mtsamples_texts, physionet_texts
from ehr_models.text import normalize_token, segments, tokenize

RUNS = {"full": [], "random-emb": None, "no-chars": ["--no-chars"], "softmax": ["--head", "softmax"],
        "frozen": ["--freeze-embeddings"]}
CORPORA = ("BC5CDR-chem", "NCBI-disease", "BC5CDR")


def text_sentences(data_dir: Path):
    """Normalized token lists of the embedding corpus (see module doc): no test split of any NER set."""
    for text in list(mtsamples_texts(data_dir).values()) + list(physionet_texts(data_dir).values()):
        for start, end in segments(text):
            yield [normalize_token(t.text) for t in tokenize(text[start:end])]
    for split in ("train", "dev"):
        for path in sorted((data_dir / "phee" / split).glob("*.txt")):
            yield [normalize_token(t.text) for t in tokenize(path.read_text(encoding="utf-8"))]
    for corpus in ("BC5CDR", "NCBI-disease"):
        for split in ("train", "devel"):
            for example in conll.read(data_dir / "biomed-ner" / corpus / f"{split}.tsv"):
                yield [normalize_token(t) for t in example.tokens]


def word2vec(work: Path, data_dir: Path, threads: int) -> Path:
    """Train (once; cached) the fallback Word2Vec vectors; returns the ``.kv`` path."""
    path = work / "word2vec-100d.kv"
    if path.exists():
        return path
    from gensim.models import Word2Vec

    started = time.perf_counter()
    sentences = [s for s in text_sentences(data_dir) if s]
    model = Word2Vec(sentences, vector_size=100, window=5, min_count=2, sg=1, negative=5, epochs=10,
                     workers=2, seed=1)
    work.mkdir(parents=True, exist_ok=True)
    model.wv.save(str(path))
    record = {"sentences": len(sentences), "tokens": sum(map(len, sentences)), "vocabulary": len(model.wv),
              "seconds": round(time.perf_counter() - started, 1)}
    (work / "word2vec-100d.json").write_text(json.dumps(record) + "\n", encoding="utf-8")
    logging.info("word2vec: %s", record)
    return path


def run(corpus: str, name: str, embeddings: str | None, args: argparse.Namespace) -> dict:
    data = args.data_dir / "biomed-ner" / corpus
    output = args.work / f"{corpus}-{name}{args.tag}-s{args.seed}"
    argv = ["--train", str(data / "train.tsv"), "--output", str(output), "--seed", str(args.seed), "--threads",
            str(args.threads), "--epochs", str(args.epochs), "--patience", str(args.patience), "--checkpoints",
            str(output) + ".checkpoints"]
    # --with-devel N: train on train+devel for N epochs (no early stopping), as papers report their test rows.
    argv += ["--train", str(data / "devel.tsv"), "--dev-fraction", "0", "--epochs", str(args.with_devel)] \
        if args.with_devel else ["--dev", str(data / "devel.tsv")]
    extra = RUNS[name]
    if extra is not None and embeddings:
        argv += ["--embeddings", embeddings]
    argv += (extra or []) + shlex.split(args.extra)
    started = time.perf_counter()
    train_cli.main(argv)
    seconds = time.perf_counter() - started
    training = json.loads((output / "training.json").read_text(encoding="utf-8"))
    test = evaluate_token_spans(str(output), str(data / "test.tsv"), "conll", None)
    return {"corpus": corpus, "run": name + args.tag, "seed": args.seed, "test_exact": test["exact"]["entities"]["micro"],
            "test_overlap_f1": test["overlap"]["entities"]["micro"]["f1"],
            "test_per_label": {k: v["f1"] for k, v in test["exact"]["entities"].items() if k != "micro"},
            "best_dev_f1": training["result"]["best_f1"], "best_epoch": training["result"]["best_epoch"],
            "epochs": training["result"]["epochs"], "train_seconds": round(seconds, 1),
            "embeddings": embeddings if extra is not None else None,
            "command": "python -m ehr_models.train " + " ".join(argv),
            "machine": f"{platform.machine()} {torch.get_num_threads()} threads", "date": time.strftime("%Y-%m-%d")}


def table(rows: list[dict]) -> str:
    lines = ["| corpus | run | test P | test R | test F1 (exact) | overlap F1 | dev F1 | epochs (best) | train time |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["test_exact"]
        dev = f"{r['best_dev_f1']:.4f}" if r["best_dev_f1"] else "-"
        lines.append(f"| {r['corpus']} | {r['run']} | {t['precision']:.4f} | {t['recall']:.4f} | **{t['f1']:.4f}** | "
                     f"{r['test_overlap_f1']:.4f} | {dev} | {r['epochs']} ({r['best_epoch']}) | "
                     f"{r['train_seconds'] / 60:.1f} min |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=CORPORA, default="BC5CDR-chem")
    parser.add_argument("--runs", nargs="+", choices=sorted(RUNS), default=["full"])
    parser.add_argument("--embeddings", help="vectors directory or gensim file (default: train Word2Vec here)")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--work", type=Path, default=Path("/tmp/ehrbeam-ner"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--extra", default="", help="more ehr_models.train arguments for every run")
    parser.add_argument("--tag", default="", help="suffix for run names (with --extra)")
    parser.add_argument("--with-devel", type=int, default=0, help="train on train+devel for N epochs, no dev")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)
    embeddings = args.embeddings or str(word2vec(args.work, args.data_dir, args.threads))
    rows = []
    for name in args.runs:
        rows.append(run(args.corpus, name, embeddings, args))
        with open(args.work / "results.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(rows[-1]) + "\n")
        print(table(rows[-1:]), flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
