"""Train the relation model on the gold train notes (optionally plus PHEE) and write a model directory.

    python -m ehr_models.relations.train --output DIR                    # 20% of train notes as dev, early stop
    python -m ehr_models.relations.train --output DIR --dev-fraction 0 --epochs 12 --threshold 0.5 --floor 0.2
    python -m ehr_models.relations.train --output DIR --phee ../shared/data/phee/train

Only the gold ``train`` split is read; the held-out ``test`` notes are for ``benchmarks/relations.py``. With a dev
split, the best dev epoch's weights are kept and the decoding threshold/floor are chosen on dev.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ehr_models.embeddings.vectors import embedding_matrix, load_vectors
from ehr_models.evaluation.gold import load_gold
from ehr_models.evaluation.spans import score_relations
from ehr_models.package import ModelPackage, new_config, save_package
from ehr_models.relations.batches import collate
from ehr_models.relations.candidates import Pair, WindowSettings, candidate_pairs
from ehr_models.relations.data import LabelledNote, dev_split, fingerprint, from_gold, from_phee, with_entities
from ehr_models.relations.model import RelationConfig, RelationNet
from ehr_models.relations.predictor import KIND, Decoding, RelationModel, decode, labels_block
from ehr_models.tagging.vocab import PAD, UNK, Vocabulary
from ehr_models.text import normalize_token, tokenize

logger = logging.getLogger(__name__)
EMBEDDINGS = Path(__file__).resolve().parents[1] / "resources" / "embeddings" / "clinical-fasttext-100d"
MODEL_VERSION = "1"
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
FLOORS = (0.05, 0.1, 0.2, 0.3, 1.01)  # 1.01: never force a link
SPLIT_SEED = 13  # the dev split stays the same whatever the training seed, so runs compare on the same notes


@dataclass
class TrainSettings:
    epochs: int = 20
    patience: int = 8  # epochs without a better dev F1 before stopping (dev F1 is noisy from epoch to epoch)
    batch_size: int = 32
    learning_rate: float = 2e-3
    word_dropout: float = 0.1  # known words replaced by <unk> so that unseen words are no surprise
    seed: int = 13  # initialisation, dropout, batch order
    dev_fraction: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


def vocabulary_words(notes: Sequence[LabelledNote], vector_words: Sequence[str],
                     banned: frozenset[str] = frozenset()) -> list[str]:
    """The embeddings' words, then words of ``notes`` seen in two or more of them (rare words may be PHI), never a
    ``banned`` word: a patient's surrogate name recurs across that patient's notes, so two notes are not enough."""
    known = set(vector_words)
    seen = Counter(w for note in notes for w in {normalize_token(t.text) for t in tokenize(note.text)})
    extra = sorted(w for w, n in seen.items() if n >= 2 and w not in known and w not in banned)
    return [PAD, UNK] + [w for w in vector_words if w not in (PAD, UNK)] + extra


def note_pairs(notes: Sequence[LabelledNote], window: WindowSettings) -> list[tuple[LabelledNote, list[Pair]]]:
    return [(note, candidate_pairs(note.text, note.entities, window)) for note in notes]


def relation_f1(scored: Sequence[tuple[LabelledNote, list[Pair], list[float]]], decoding: Decoding) -> float:
    """Micro F1 of decoded relations against the notes' gold relations (gold entities)."""
    documents = []
    for note, pairs, probabilities in scored:
        spans = [(e.start, e.end, e.label) for e in note.entities]
        predicted = decode(pairs, probabilities, decoding)
        documents.append(([(spans[r.head], spans[r.tail]) for r in predicted],
                          [(spans[h], spans[t]) for h, t in note.relations]))
    return score_relations(documents).micro.f1


def tune_decoding(scored) -> tuple[Decoding, float]:
    """The threshold and floor with the best dev F1 (ties: the first in grid order)."""
    grid = [Decoding(t, f) for t in THRESHOLDS for f in FLOORS]
    results = [(relation_f1(scored, d), -i, d) for i, d in enumerate(grid)]
    f1, _, best = max(results, key=lambda r: r[:2])
    return best, f1


def fit(model: RelationModel, train: list[tuple[LabelledNote, list[Pair]]],
        dev: list[tuple[LabelledNote, list[Pair]]], settings: TrainSettings) -> dict:
    """Train ``model.net`` in place; with ``dev``, keep the best dev epoch's weights. Returns the history."""
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    examples = [(pair, float((pair.head, pair.tail) in note.relations)) for note, pairs in train for pair in pairs]
    parameters = [p for p in model.net.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=settings.learning_rate)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    history, best_f1, best_state, stale = [], -1.0, None, 0
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        model.net.train()
        random.shuffle(examples)
        total = 0.0
        for i in range(0, len(examples), settings.batch_size):
            chunk = examples[i : i + settings.batch_size]
            batch = collate([pair for pair, _ in chunk], model.vocabulary)
            dropped = (torch.rand(batch["words"].shape) < settings.word_dropout) & (batch["words"] > 1)
            batch["words"] = batch["words"].masked_fill(dropped, 1)
            loss = loss_fn(model.net(batch), torch.tensor([label for _, label in chunk]))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 5.0)
            optimizer.step()
            total += loss.item() * len(chunk)
        record = {"epoch": epoch, "loss": round(total / max(len(examples), 1), 4),
                  "seconds": round(time.perf_counter() - started, 1)}
        if dev:
            record["dev_f1"] = round(relation_f1(score_notes(model, dev), model.decoding), 4)
            if record["dev_f1"] > best_f1:
                best_f1, stale = record["dev_f1"], 0
                best_state = {k: v.clone() for k, v in model.net.state_dict().items()}
            else:
                stale += 1
        history.append(record)
        logger.info("epoch %s", record)
        if dev and stale >= settings.patience:
            break
    if best_state is not None:
        model.net.load_state_dict(best_state)
    return {"history": history, "best_dev_f1": best_f1 if dev else None,
            "best_epoch": max(history, key=lambda r: r.get("dev_f1", 0))["epoch"] if dev else len(history)}


def score_notes(model: RelationModel, notes: list[tuple[LabelledNote, list[Pair]]]):
    return [(note, pairs, model.score(pairs) if pairs else []) for note, pairs in notes]


def save(model: RelationModel, directory: Path | str, training: dict, metrics: dict) -> Path:
    """Write the model directory: frozen word vectors in float16 (halves the size; loading gives float32)."""
    tensors = {k: (v.half() if k == "words.weight" else v) for k, v in model.net.state_dict().items()}
    settings = {"net": model.net.config.to_dict(), "window": model.window.to_dict(),
                "decoding": model.decoding.to_dict()}
    config = new_config(KIND, "medication-relations", MODEL_VERSION, settings)
    config["training_fingerprint"] = training["fingerprint"]
    config["metrics"] = metrics
    return save_package(directory, ModelPackage(config, tensors, {"words": model.vocabulary.items}, labels_block(),
                                                training, metrics))


def phi_words() -> frozenset[str]:
    """Gold PHI words of the PhysioNet corpus that are not ordinary words (``ehr_models.embeddings.privacy``); the
    train notes include PhysioNet notes, so the corpus is there whenever this trains."""
    from ehr_models.embeddings.privacy import phi_vocabulary
    from ehr_models.formats.corpora import default_data_dir

    return frozenset(phi_vocabulary(default_data_dir()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", required=True, help="model directory to write")
    parser.add_argument("--phee", help="PHEE brat directory to add to training (e.g. ../shared/data/phee/train)")
    parser.add_argument("--rules-entities", action="store_true",
                        help="also train on each train note with the rules annotator's entities (noisy entities)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=TrainSettings.patience)
    parser.add_argument("--dev-fraction", type=float, default=0.2)
    parser.add_argument("--threshold", type=float, default=0.5, help="decoding threshold (without a dev split)")
    parser.add_argument("--floor", type=float, default=0.2, help="decoding floor (without a dev split)")
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--structural-only", action="store_true", help="ablation: no text encoder")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    settings = TrainSettings(epochs=args.epochs, patience=args.patience, seed=args.seed, dev_fraction=args.dev_fraction)
    gold = [from_gold(d) for d in load_gold(splits=("train",))]
    train_notes, dev_notes = dev_split(gold, settings.dev_fraction, SPLIT_SEED)
    extra = from_phee(args.phee) if args.phee else []
    if args.rules_entities:
        from ehr_models.rules import RuleAnnotator

        rules = RuleAnnotator()
        extra += [with_entities(note, rules.predict(note.text).entities) for note in train_notes]
    vectors = load_vectors(EMBEDDINGS)
    words = vocabulary_words(train_notes, vectors.index_to_key, phi_words())
    matrix = embedding_matrix(vectors, words, seed=settings.seed, zero={PAD})
    window = WindowSettings()
    torch.manual_seed(settings.seed)  # the initialisation too: the rebuild command gives the same weights
    net = RelationNet(RelationConfig(vocab_size=len(words), hidden=args.hidden, use_text=not args.structural_only))
    net.words.weight.data.copy_(torch.from_numpy(np.asarray(matrix)))
    model = RelationModel(net, Vocabulary(words), window, Decoding(args.threshold, args.floor))
    train = note_pairs(train_notes + extra, window)
    dev = note_pairs(dev_notes, window)
    logger.info("notes: %d train (+%d extra), %d dev; pairs: %d train, %d dev", len(train_notes), len(extra),
                len(dev_notes), sum(len(p) for _, p in train), sum(len(p) for _, p in dev))
    result = fit(model, train, dev, settings)
    metrics = {}
    if dev:
        scored = score_notes(model, dev)
        metrics["dev_f1_default_decoding"] = round(relation_f1(scored, model.decoding), 4)
        model.decoding, f1 = tune_decoding(scored)
        metrics["dev_f1"] = round(f1, 4)
        metrics["dev_notes"] = len(dev_notes)
    training = {"fingerprint": fingerprint(train_notes + extra), "train_notes": len(train_notes),
                "extra_notes": len(extra), "dev_notes": len(dev_notes), "settings": settings.to_dict(),
                "arguments": vars(args), **result}
    save(model, args.output, training, metrics)
    logger.info("saved %s: decoding %s, metrics %s, best epoch %s", args.output, model.decoding, metrics,
                result["best_epoch"])


if __name__ == "__main__":
    main()
