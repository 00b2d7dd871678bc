"""The embeddings ehrbeam ships: the real corpus written out as note files, and the capped, PHI-free fp16 export.

    python -m ehr_models.embeddings.release export --data ../shared/data --output /tmp/ehrbeam-corpus
    python -m pipelines.pretrain --runner=DirectRunner --skip_deid --input /tmp/ehrbeam-corpus --output OUT ...
    python -m ehr_models.embeddings.release ship --vectors OUT/vectors --data ../shared/data --output DIR

``ehr_models/resources/embeddings/README.md`` holds the exact commands and settings of the shipped files.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Iterator

from gensim.models import KeyedVectors

from ehr_models.embeddings.privacy import phi_vocabulary
from ehr_models.embeddings.vectors import has_subwords, load_vectors, make_vectors, read_manifest, save_vectors
from ehr_models.formats import conll
from ehr_models.formats.corpora import default_data_dir, mtsamples_texts, physionet_texts

_LOGGER = logging.getLogger(__name__)
SHIPPED_NAME = "clinical-fasttext-100d"
GROUP = 200  # sentences of the sentence-per-file corpora (PHEE, BC5CDR) per written note


def shipped_vectors_dir(name: str = SHIPPED_NAME) -> Path:
    """The directory of embeddings bundled with ehrbeam (package data), for ``load_vectors``."""
    return Path(str(importlib.resources.files("ehr_models") / "resources" / "embeddings" / name))


def _grouped(prefix: str, sentences: list[str]) -> Iterator[tuple[str, str]]:
    for start in range(0, len(sentences), GROUP):
        yield f"{prefix}-{start // GROUP:04d}", "\n".join(sentences[start : start + GROUP])


def corpus_documents(data_dir: Path) -> Iterator[tuple[str, str]]:
    """``(document id, text)`` of the shipped embeddings' corpus: MTSamples (each distinct transcription once: the
    same report is listed under several specialties), the PhysioNet deid dev notes, PHEE train+dev sentences and
    BC5CDR train+devel sentences. BC5CDR test is left out: the tagger scores on it, and its text in the embeddings
    would be a transductive leak into that published comparison."""
    seen: set[str] = set()
    for note_id, text in sorted(mtsamples_texts(data_dir).items()):
        if text.strip() and text not in seen:
            seen.add(text)
            yield f"mtsamples/{note_id}", text
    for note_id, text in sorted(physionet_texts(data_dir).items()):
        yield f"deid-physionet/{note_id}", text
    for split in ("train", "dev"):
        paths = sorted((data_dir / "phee" / split).glob("*.txt"))
        yield from _grouped(f"phee/{split}", [p.read_text(encoding="utf-8").strip() for p in paths])
    for split in ("train", "devel"):
        examples = conll.read(data_dir / "biomed-ner" / "BC5CDR" / f"{split}.tsv")
        yield from _grouped(f"bc5cdr/{split}", [" ".join(example.tokens) for example in examples])


def export_notes(data_dir: Path, output: Path) -> Counter:
    """Write ``corpus_documents`` as ``output/<id>.txt``; returns documents per source."""
    written: Counter = Counter()
    for document_id, text in corpus_documents(data_dir):
        path = output / f"{document_id}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written[document_id.split("/", 1)[0]] += 1
    return written


def cap_vocabulary(vectors: KeyedVectors, max_vocab: int, min_count: int, exclude: set[str]) -> KeyedVectors:
    """The ``max_vocab`` most frequent words seen ``min_count`` times or more and not in ``exclude``; FastText
    n-gram buckets are kept whole (unseen words still get vectors)."""
    counts = vectors.expandos["count"]
    order = sorted(range(len(vectors.index_to_key)), key=lambda i: (-int(counts[i]), vectors.index_to_key[i]))
    keep = [i for i in order if counts[i] >= min_count and vectors.index_to_key[i] not in exclude][:max_vocab]
    words = [vectors.index_to_key[i] for i in keep]
    if has_subwords(vectors):
        return make_vectors(words, vectors.vectors[keep], [int(counts[i]) for i in keep], vectors.vectors_ngrams,
                            vectors.min_n, vectors.max_n)
    return make_vectors(words, vectors.vectors[keep], [int(counts[i]) for i in keep])


def ship(vectors_dir: Path, output: Path, data_dir: Path, max_vocab: int, min_count: int) -> dict:
    """Cap and export ``vectors_dir`` to ``output`` in float16, without the PHI words of
    ``ehr_models.embeddings.privacy.phi_vocabulary`` (all PHI types); returns the release record."""
    vectors = load_vectors(vectors_dir)
    excluded = phi_vocabulary(data_dir)
    capped = cap_vocabulary(vectors, max_vocab, min_count, excluded)
    release = {"max_vocab": max_vocab, "min_count": min_count, "dtype": "float16",
               "phi_words_excluded": len(excluded & set(vectors.key_to_index)),  # a count: never the words
               "trained_vocabulary": len(vectors.index_to_key), "shipped_vocabulary": len(capped.index_to_key)}
    record = dict(read_manifest(vectors_dir)["record"], release=release)
    save_vectors(capped, output, record, dtype="float16")
    return release


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ehr_models.embeddings.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="Write the real corpus as note files.")
    export.add_argument("--output", type=Path, required=True)
    shipped = commands.add_parser("ship", help="Cap a vectors directory, drop PHI words, write float16.")
    shipped.add_argument("--vectors", type=Path, required=True)
    shipped.add_argument("--output", type=Path, required=True)
    shipped.add_argument("--max_vocab", type=int, default=20_000)
    shipped.add_argument("--min_count", type=int, default=5)
    for command in (export, shipped):
        command.add_argument("--data", type=Path, default=default_data_dir(), help="The shared corpora.")
    args = parser.parse_args(argv)
    if args.command == "export":
        print(json.dumps(export_notes(args.data, args.output)))
    else:
        print(json.dumps(ship(args.vectors, args.output, args.data, args.max_vocab, args.min_count)))


if __name__ == "__main__":
    main()
