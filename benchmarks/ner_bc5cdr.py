"""BiLSTM-CRF tagger on the published NER tables (BC5CDR chemicals, NCBI-disease), with ablations.

    python benchmarks/ner_bc5cdr.py --corpus BC5CDR-chem --runs full random-emb no-chars softmax
    python benchmarks/ner_bc5cdr.py --corpus BC5CDR-chem --runs full --with-devel 20   # train+devel, 20 epochs
    python benchmarks/ner_bc5cdr.py --corpus NCBI-disease --runs full --embeddings DIR   # other vectors
    python benchmarks/ner_bc5cdr.py --corpus BC5CDR-chem --runs full --embeddings-source script   # earlier rows

Each run trains with ``python -m ehr_models.train`` (its defaults unless ``--extra`` adds flags): on the train split
with early stopping on devel, or with ``--with-devel N`` on train+devel for N epochs (N taken from a devel run's
best epoch), then scores the test split once (exact entity match, as the papers do). Runs: ``full`` = pretrained
embeddings (fine-tuned) + char CNN + CRF; ``random-emb`` = random 100-d embeddings; ``no-chars`` = no character
CNN; ``softmax`` = softmax head instead of the CRF; ``frozen`` = pretrained embeddings frozen.

Without ``--embeddings`` the vectors come from the pretraining stage (issue 5): the script writes its embedding
corpus (MTSamples, PhysioNet deid dev notes, PHEE train+dev, BC5CDR and NCBI-disease train+devel text; never a test
split) as JSONL notes under ``WORK/pretrain-input/`` and runs ``python -m pipelines.pretrain`` on them (DirectRunner,
de-identification on, Word2Vec skip-gram 100-d, window 5, min_count 2, 10 epochs) into ``WORK/pretrain/``; cached.
``--embeddings-source script`` keeps the earlier fallback instead (gensim Word2Vec trained here on the same text,
tokens normalized with ``ehr_models.text.normalize_token``, no de-identification; cached as
``WORK/word2vec-100d.kv``), which the first BENCHMARKS.md rows used. Models go under ``--work`` (default
/tmp/ehrbeam-ner); each
finished run appends a JSON line (scores, epochs, time, the exact train command) to ``WORK/results.jsonl`` and the
script prints a markdown table of its runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import platform
import shlex
import subprocess
import sys
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


# Word2Vec settings of both fallbacks: skip-gram, 100-d, window 5, min_count 2, 10 epochs, seed 1, 2 threads.
W2V = {"dimensions": 100, "window": 5, "min_count": 2, "epochs": 10, "seed": 1, "workers": 2}
NER_TEXT = ("BC5CDR", "NCBI-disease")  # train + devel text only: a test split never reaches the embeddings
SENTENCES_PER_NOTE = 50  # CoNLL sentences carry no document ids: group them into notes of this many


def text_sentences(data_dir: Path):
    """Normalized token lists of the embedding corpus (see module doc): no test split of any NER set."""
    for text in list(mtsamples_texts(data_dir).values()) + list(physionet_texts(data_dir).values()):
        for start, end in segments(text):
            yield [normalize_token(t.text) for t in tokenize(text[start:end])]
    for split in ("train", "dev"):
        for path in sorted((data_dir / "phee" / split).glob("*.txt")):
            yield [normalize_token(t.text) for t in tokenize(path.read_text(encoding="utf-8"))]
    for corpus in NER_TEXT:
        for split in ("train", "devel"):
            for example in conll.read(data_dir / "biomed-ner" / corpus / f"{split}.tsv"):
                yield [normalize_token(t) for t in example.tokens]


def corpus_notes(data_dir: Path):
    """``(file stem, note id, text)`` of the embedding corpus as notes for ``pipelines.pretrain``: the same sources
    as ``text_sentences``. CoNLL sentences are their tokens joined by spaces, a blank line (a segment boundary)
    between sentences, ``SENTENCES_PER_NOTE`` to a note."""
    for source, texts in (("mtsamples", mtsamples_texts(data_dir)), ("physionet-dev", physionet_texts(data_dir))):
        for note_id, text in texts.items():
            yield source, f"{source}-{note_id}", text
    for split in ("train", "dev"):
        for path in sorted((data_dir / "phee" / split).glob("*.txt")):
            yield "phee", f"phee-{split}-{path.stem}", path.read_text(encoding="utf-8")
    for corpus in NER_TEXT:
        for split in ("train", "devel"):
            examples = conll.read(data_dir / "biomed-ner" / corpus / f"{split}.tsv")
            for first in range(0, len(examples), SENTENCES_PER_NOTE):
                chunk = examples[first:first + SENTENCES_PER_NOTE]
                yield corpus, f"{corpus}-{split}-{first}", "\n\n".join(" ".join(e.tokens) for e in chunk)


def pretrain_vectors(work: Path, data_dir: Path) -> Path:
    """Vectors from the pretraining stage (cached): write the corpus as JSONL notes, run ``pipelines.pretrain`` on
    them; returns the vectors directory. The pipeline's record is kept as ``WORK/pretrain.json``."""
    output, inputs = work / "pretrain", work / "pretrain-input"
    if (output / "vectors" / "manifest.json").exists():  # written last: a crashed run leaves none
        return output / "vectors"
    inputs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        handles = {}
        for stem, note_id, text in corpus_notes(data_dir):
            if stem not in handles:
                handles[stem] = stack.enter_context(open(inputs / f"{stem}.jsonl", "w", encoding="utf-8"))
            handles[stem].write(json.dumps({"note_id": note_id, "text": text}) + "\n")
    command = [sys.executable, "-m", "pipelines.pretrain", "--runner=DirectRunner", "--input", str(inputs),
               "--output", str(output), "--algorithm", "word2vec", "--architecture", "skipgram"]
    command += [arg for key, value in W2V.items() for arg in (f"--{key}", str(value))]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    record = {"command": " ".join(["python"] + command[1:]), "seconds": round(time.perf_counter() - started, 1),
              "corpus": json.loads((output / "corpus" / "manifest.json").read_text(encoding="utf-8"))}
    (work / "pretrain.json").write_text(json.dumps(record) + "\n", encoding="utf-8")
    logging.info("pretrain: %s s", record["seconds"])
    return output / "vectors"


def word2vec(work: Path, data_dir: Path) -> Path:
    """Train (once; cached) the earlier fallback Word2Vec vectors here; returns the ``.kv`` path."""
    path = work / "word2vec-100d.kv"
    if path.exists():
        return path
    from gensim.models import Word2Vec

    started = time.perf_counter()
    sentences = [s for s in text_sentences(data_dir) if s]
    model = Word2Vec(sentences, vector_size=W2V["dimensions"], window=W2V["window"], min_count=W2V["min_count"],
                     sg=1, negative=5, epochs=W2V["epochs"], workers=W2V["workers"], seed=W2V["seed"])
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
    parser.add_argument("--embeddings", help="vectors directory or gensim file (default: --embeddings-source)")
    parser.add_argument("--embeddings-source", choices=("pretrain", "script"), default="pretrain",
                        help="without --embeddings: vectors from pipelines.pretrain (default), or the Word2Vec this "
                             "script trained itself before (the first BENCHMARKS.md rows)")
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
    fallback = pretrain_vectors if args.embeddings_source == "pretrain" else word2vec
    embeddings = args.embeddings or str(fallback(args.work, args.data_dir))
    rows = []
    for name in args.runs:
        rows.append(run(args.corpus, name, embeddings, args))
        with open(args.work / "results.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(rows[-1]) + "\n")
        print(table(rows[-1:]), flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
