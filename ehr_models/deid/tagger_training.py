"""Train the de-identification tagger (BiLSTM-CRF of ``ehr_models.tagging``) on the dev patients' notes and gold
PHI, with a word vocabulary that can leave the secure environment.

    python -m ehr_models.deid.tagger_training --output ehr_models/resources/deid/phi-tagger --threads 1
    python -m ehr_models.deid.tagger_training --half a --output /tmp/deid-a     # cross-fitting within dev
    python -m ehr_models.deid.tagger_training --surrogates 6 --case-copies 2 --output DIR   # augmented

Privacy of the package: the word vocabulary is the shipped embedding vocabulary (built from de-identified text)
minus every token of the training notes' gold PHI; no word of the training notes enters it on its own
(``min_count`` above any count), so names and places of the notes can only reach the model through the
character CNN's weights, never as strings. Characters are the notes' characters (letters, digits, punctuation).

Augmentation (``ehr_models.deid.augment``): ``--surrogates N`` adds N copies of every training note with each gold
PHI span replaced by a random stand-in of its type (census names, invented places, dates in many forms...), and
``--case-copies N`` copies of the notes in one case; only their sentences with PHI and a share
``--aug-keep-plain`` of the others are trained on, and copies of the sentences held out for early stopping are
left out. The stand-ins' words do not enter the vocabulary either (same ``min_count``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ehr_models.deid.augment import augment
from ehr_models.deid.features import CensusNameFeature
from ehr_models.deid.evaluate import GoldNote, load_corpus, select
from ehr_models.deid.split import half_of
from ehr_models.deid.tagger import windows
from ehr_models.formats.corpora import default_data_dir
from ehr_models.formats.examples import Document, Example, documents_examples
from ehr_models.tagging.model import HEADS, TaggerConfig
from ehr_models.tagging.pretrained import load_vectors
from ehr_models.tagging.progress import Progress
from ehr_models.tagging.training import Checkpoints, TrainingConfig, build_tagger, fit, score_examples
from ehr_models.text import normalize_token, tokenize

logger = logging.getLogger(__name__)

EMBEDDINGS = Path(__file__).resolve().parents[1] / "resources" / "embeddings" / "clinical-fasttext-100d"
# PhysioNet gold types -> the tagger's labels (the engine's PHI labels).
GOLD_TO_LABEL = {"HCPName": "NAME", "PTName": "NAME", "RelativeProxyName": "NAME", "PTNameInitial": "NAME",
                 "Location": "LOCATION", "Date": "DATE", "DateYear": "DATE", "Phone": "PHONE", "Age": "AGE",
                 "Other": "OTHER"}
HALVES = ("all", "a", "b")
NO_NOTE_WORDS = 10**9  # min_count no training word reaches: only embedding words enter the vocabulary


def training_notes(notes: Sequence[GoldNote], half: str = "all") -> list[GoldNote]:
    """The dev patients' notes (never a test patient's), optionally one half of the dev patients."""
    dev = select(list(notes), "dev")
    return dev if half == "all" else [n for n in dev if half_of(n.patient) == half]


def phi_tokens(notes: Iterable[GoldNote]) -> set[str]:
    """Normalized tokens with a letter inside the notes' gold PHI spans: none may be a vocabulary word."""
    words: set[str] = set()
    for note in notes:
        for start, end, _ in note.phi:
            words.update(normalize_token(t.text) for t in tokenize(note.text[start:end])
                         if any(c.isalpha() for c in t.text))
    return words


def safe_vectors(vectors, banned: set[str]):
    """Plain ``KeyedVectors`` holding the words of ``vectors`` not in ``banned`` (no subword buckets: a package
    needs only the rows of its vocabulary)."""
    from gensim.models import KeyedVectors

    words = [w for w in vectors.index_to_key if w not in banned]
    kept = KeyedVectors(vectors.vector_size)
    kept.add_vectors(words, np.stack([vectors.get_vector(w) for w in words]).astype(np.float32))
    return kept


def examples_of(notes: Iterable[GoldNote]) -> list[Example]:
    documents = [Document(n.note_id, n.text, n.phi) for n in notes]
    return documents_examples(documents, GOLD_TO_LABEL)


def split_held(examples: list[Example], fraction: float = 0.1) -> tuple[list[Example], list[Example]]:
    """Every ``1/fraction``-th sentence is held out for early stopping (deterministic)."""
    step = max(int(round(1 / fraction)), 2)
    return ([e for i, e in enumerate(examples) if i % step], [e for i, e in enumerate(examples) if not i % step])


def thin_plain(examples: list[Example], keep: float) -> list[Example]:
    """All sentences with PHI and every ``1/keep``-th sentence without: PHI is rare (a few hundred spans in
    thousands of sentences), so fewer plain sentences make epochs shorter and the PHI signal stronger."""
    if keep >= 1.0:
        return list(examples)
    step = max(int(round(1 / keep)), 1)
    plain = 0
    kept = []
    for example in examples:
        if not example.spans:
            plain += 1
            if plain % step:
                continue
        kept.append(example)
    return kept


def augmented_examples(notes: Sequence[GoldNote], held: Sequence[Example], surrogates: int, case_copies: int,
                       keep_plain: float, seed: int, insert: float = 0.0, typos: float = 0.0) -> list[Example]:
    """Sentences of the augmented copies of ``notes`` (see module doc), less the copies of ``held`` sentences."""
    if not surrogates and not case_copies:
        return []
    held_ids = {e.id for e in held}
    copies = augment(((n.note_id, n.text, n.phi) for n in notes), surrogates, case_copies, seed, insert, typos)
    kept = [e for e in examples_of(copies) if _original_id(e.id) not in held_ids]
    return thin_plain(kept, keep_plain)


def windowed(examples: Sequence[Example], known, width: int) -> list[Example]:
    """The windows the tagger reads with ``gate="window"`` (``ehr_models.deid.tagger.windows``), as examples: a
    model trains on what it will see. Spans are clipped to their window."""
    out = []
    for example in examples:
        for b, e in windows(example.tokens, 0, len(example.tokens), known, width):
            spans = tuple((max(s, b) - b, min(t, e) - b, label) for s, t, label in example.spans if s < e and b < t)
            out.append(Example(f"{example.id}@{b}", example.tokens[b:e], spans, example.offsets[b:e]))
    return out


def _original_id(example_id: str) -> str:
    """"NOTE~s2#7" -> "NOTE#7": the sentence of the original note an augmented sentence copies."""
    note, _, number = example_id.rpartition("#")
    return f"{note.split('~', 1)[0]}#{number}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data_dir() / "deid-physionet" / "dev")
    parser.add_argument("--half", choices=HALVES, default="all", help="train on one half of the dev patients")
    parser.add_argument("--embeddings", type=Path, default=EMBEDDINGS)
    parser.add_argument("--hidden", type=int, default=128, help="BiLSTM output size, both directions")
    parser.add_argument("--char-filters", type=int, default=50)
    parser.add_argument("--head", choices=HEADS, default="crf")
    parser.add_argument("--features", nargs="*", default=[], choices=[CensusNameFeature.name],
                        help="token features (ehr_models.deid.features)")
    parser.add_argument("--keep-plain", type=float, default=1.0, help="share of sentences without PHI trained on")
    parser.add_argument("--surrogates", type=int, default=0, help="surrogate copies of each training note")
    parser.add_argument("--case-copies", type=int, default=0, help="one-case copies of each training note")
    parser.add_argument("--insert", type=float, default=0.0,
                        help="share of plain name/place contexts given a stand-in in surrogate copies")
    parser.add_argument("--typos", type=float, default=0.0,
                        help="share of plain words (5+ letters) misspelt in surrogate copies")
    parser.add_argument("--aug-keep-plain", type=float, default=0.1,
                        help="share of the augmented copies' sentences without PHI trained on")
    parser.add_argument("--window", type=int, default=0,
                        help="train on windows of this many tokens either side of unknown words (gate 'window')")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    notes = training_notes(load_corpus(args.data), args.half)
    banned = phi_tokens(notes)
    vectors = safe_vectors(load_vectors(args.embeddings), banned)
    train, held = split_held(examples_of(notes))
    train = thin_plain(train, args.keep_plain)
    original = len(train)
    train += augmented_examples(notes, held, args.surrogates, args.case_copies, args.aug_keep_plain, args.seed,
                                args.insert, args.typos)
    config = TaggerConfig(hidden=args.hidden, char_filters=args.char_filters, head=args.head,
                          features=list(args.features))
    tagger = build_tagger(train, config, vectors, min_count=NO_NOTE_WORDS, name="deid-phi-tagger",
                          version="0.1.0", seed=args.seed)
    if args.window:
        train, held = windowed(train, tagger.words, args.window), windowed(held, tagger.words, args.window)
    settings = TrainingConfig(epochs=args.epochs, patience=args.patience, learning_rate=args.lr, seed=args.seed,
                              threads=args.threads)
    result = fit(tagger, train, held, settings, Checkpoints(None, {}), Progress(args.epochs, enabled=False))
    patients = sorted({n.patient for n in notes}, key=lambda p: (len(p), p))
    training = {"data": "deid-physionet/dev, dev patients of ehr_models.deid.split", "half": args.half,
                "patients": patients, "notes": len(notes), "sentences": len(train), "held_sentences": len(held),
                "keep_plain": args.keep_plain, "original_sentences": original,
                "augmentation": {"surrogates": args.surrogates, "case_copies": args.case_copies,
                                 "keep_plain": args.aug_keep_plain, "insert": args.insert, "typos": args.typos},
                "window": args.window,
                "embeddings": args.embeddings.name, "vocabulary": "embedding words minus gold PHI tokens",
                "banned_words": len(banned), "settings": settings.to_dict(), "result": result.to_dict()}
    tagger.save(args.output, training, {"held": score_examples(tagger, held).to_dict()})
    print(json.dumps({"output": str(args.output), "best_f1": result.best_f1, "best_epoch": result.best_epoch,
                      "seconds": result.seconds, "words": len(tagger.words)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
