"""Intrinsic quality of embeddings pretrained on the real corpus (``ehr_models.embeddings.intrinsic``).

    python -m ehr_models.embeddings.release export --output /tmp/ehrbeam-corpus
    python -m pipelines.pretrain --runner=DirectRunner --skip_training \
        --input /tmp/ehrbeam-corpus --output /tmp/ehrbeam-pretrain
    python benchmarks/pretrain_quality.py --corpus /tmp/ehrbeam-pretrain/corpus [--vectors DIR ...]

Trains each configuration below on the corpus (same corpus, same run) and scores it; ``--vectors`` also scores
existing vectors directories (the shipped embeddings, say). The baseline is gensim's out-of-the-box setting
(Word2Vec CBOW, 5 epochs). Prints one JSON object a line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ehr_models.embeddings.intrinsic import drug_words, evaluate
from ehr_models.embeddings.training import TrainingOptions, train_vectors
from ehr_models.embeddings.vectors import load_vectors

NEIGHBOURHOODS = ("drug", "abbreviation")
CONFIGS = {
    "baseline: gensim defaults (word2vec cbow, 5 epochs)": dict(algorithm="word2vec", architecture="cbow", epochs=5),
    "word2vec skipgram, 15 epochs": dict(algorithm="word2vec", architecture="skipgram", epochs=15),
    "fasttext cbow, 15 epochs, 40k buckets": dict(algorithm="fasttext", architecture="cbow", epochs=15, bucket=40_000),
    "shipped: fasttext skipgram, 15 epochs, 40k buckets": dict(algorithm="fasttext", architecture="skipgram",
                                                               epochs=15, bucket=40_000),
}


def summary(name: str, result: dict, vocabulary: int, seconds: float | None = None) -> dict:
    return {"config": name, "vocabulary": vocabulary, "train_s": seconds,
            **{f"{group}_hits@10": result[group]["hits@10"] for group in ("brand_generic", "route", "frequency")},
            "overall_hits@10": result["overall"]["hits@10"], "overall_mrr": result["overall"]["mrr"],
            "directions": result["overall"]["directions"],
            **{f"{kind}_neighbours_share@10": result["neighbourhoods"][kind]["share@10"] for kind in NEIGHBOURHOODS},
            **{f"{kind}_chance": result["neighbourhoods"][kind]["chance"] for kind in NEIGHBOURHOODS},
            "misspellings_recovered@5": result["misspellings"]["recovered@5"],
            "missing": sum((result[g]["missing"] for g in ("brand_generic", "route", "frequency")), [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", help="A corpus directory written by pipelines.pretrain.")
    parser.add_argument("--vectors", nargs="*", default=[], type=Path, help="Vectors directories to score as well.")
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS), help="Configurations to train (names).")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min_count", type=int, default=5)
    args = parser.parse_args()
    drugs = drug_words()
    for directory in args.vectors:
        vectors = load_vectors(directory)
        print(json.dumps(summary(str(directory), evaluate(vectors, drugs), len(vectors.index_to_key))), flush=True)
    for name in args.configs if args.corpus else []:
        options = TrainingOptions(workers=args.workers, min_count=args.min_count, **CONFIGS[name])
        started = time.perf_counter()
        vectors, _ = train_vectors(args.corpus, options)
        seconds = round(time.perf_counter() - started, 1)
        print(json.dumps(summary(name, evaluate(vectors, drugs), len(vectors.index_to_key), seconds)), flush=True)


if __name__ == "__main__":
    main()
