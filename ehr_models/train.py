"""Train a BiLSTM-CRF tagger and write it as a model directory.

    python -m ehr_models.train --train ../shared/data/biomed-ner/BC5CDR-chem/train.tsv \\
        --dev ../shared/data/biomed-ner/BC5CDR-chem/devel.tsv --embeddings vectors/ --output /tmp/bc5cdr-chem
    python -m ehr_models.train --train gold/medication::fit --dev gold/medication::dev --format medication-json \\
        --mask-phi --min-count 2 --output /tmp/med --init-from /tmp/bc5cdr-chem --init-label-map Chemical=medication

Data specs and formats: ``ehr_models.tagging.datasets`` (``gold/medication::fit`` and ``::dev`` are the internal
split of the gold train notes). Without ``--dev``, ``--dev-fraction`` of the training
sentences is held out for early stopping. ``--test`` is scored once, after training, and stored in metrics.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from pathlib import Path

from ehr_models.formats.examples import Example, fingerprint
from ehr_models.package import update_metrics
from ehr_models.tagging.datasets import FORMATS, load_examples, parse_label_map
from ehr_models.tagging.features import FEATURES
from ehr_models.tagging.model import HEADS, TaggerConfig
from ehr_models.tagging.predictor import Tagger
from ehr_models.tagging.pretrained import load_vectors
from ehr_models.tagging.progress import Progress
from ehr_models.tagging.scheme import SCHEMES
from ehr_models.tagging.training import Checkpoints, TrainingConfig, build_tagger, fit, score_examples
from ehr_models.tagging.transfer import extend_vocabularies, init_from

logger = logging.getLogger("ehr_models.train")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ehr_models.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_argument_group("data")
    data.add_argument("--train", action="append", required=True, help="data spec (repeatable: concatenated)")
    data.add_argument("--dev", action="append", default=[], help="data spec for early stopping (repeatable)")
    data.add_argument("--test", action="append", default=[], help="scored once after training (repeatable)")
    data.add_argument("--format", choices=FORMATS, help="format of every spec (default: guessed from the path)")
    data.add_argument("--labels", help="keep and rename labels: 'Drug=medication,Dosage=dosage' (default: all)")
    data.add_argument("--dev-fraction", type=float, default=0.1, help="held out of --train when no --dev")
    data.add_argument("--data-dir", type=Path, help="shared corpora for medication-json (default ../shared/data)")
    data.add_argument("--mask-phi", action="store_true",
                      help="medication-json: mask the gold PHI of PhysioNet notes ([**NAME**]) as the pipeline's "
                           "de-identification does before annotating (train on text as the model will see it)")
    model = p.add_argument_group("model")
    model.add_argument("--embeddings", help="pretrained vectors: a pretraining directory or a gensim file")
    model.add_argument("--freeze-embeddings", action="store_true")
    model.add_argument("--max-pretrained-words", type=int, default=200_000)
    model.add_argument("--min-count", type=int, default=1,
                       help="training words seen fewer times are left out of vocab.json (rare words in notes can be "
                            "names: raise it for a model that leaves the secure environment)")
    model.add_argument("--word-dim", type=int, default=100, help="without --embeddings (random init)")
    model.add_argument("--no-chars", action="store_true", help="no character CNN")
    model.add_argument("--char-filters", type=int, default=100)
    model.add_argument("--hidden", type=int, default=256, help="BiLSTM output size, both directions")
    model.add_argument("--layers", type=int, default=1)
    model.add_argument("--dropout", type=float, default=0.5)
    model.add_argument("--features", nargs="*", default=[], choices=sorted(FEATURES),
                       help="extra token features (drug_lexicon: the rules' drug lexicon, B/I/O per token)")
    model.add_argument("--head", choices=HEADS, default="crf")
    model.add_argument("--scheme", choices=SCHEMES, default="BIOES")
    model.add_argument("--init-from", help="model directory to start from (transfer); its architecture is kept")
    model.add_argument("--init-label-map", help="source label -> label here, e.g. 'Chemical=medication'")
    loop = p.add_argument_group("training")
    loop.add_argument("--epochs", type=int, default=50)
    loop.add_argument("--patience", type=int, default=5)
    loop.add_argument("--batch-size", type=int, default=32)
    loop.add_argument("--lr", type=float, default=1e-3)
    loop.add_argument("--lr-decay", type=float, default=0.05, help="epoch e uses lr / (1 + decay * (e - 1))")
    loop.add_argument("--word-dropout", type=float, default=0.2, help="share of known words fed as <unk>")
    loop.add_argument("--seed", type=int, default=13)
    loop.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    loop.add_argument("--checkpoints", type=Path, help="checkpoint directory (default: OUTPUT.checkpoints)")
    loop.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    loop.add_argument("--quiet", action="store_true", help="no progress bar")
    out = p.add_argument_group("output")
    out.add_argument("--output", type=Path, required=True, help="model directory to write")
    out.add_argument("--name", default="tagger")
    out.add_argument("--version", default="0.1.0")
    return p


def _load(specs: list[str], args: argparse.Namespace) -> list[Example]:
    labels = parse_label_map(args.labels)
    return [e for spec in specs
            for e in load_examples(spec, args.format, labels, data_dir=args.data_dir, mask_phi=args.mask_phi)]


def split_dev(examples: list[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """A seeded random ``fraction`` of the sentences as dev, the rest as train."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    cut = int(len(examples) * fraction)
    held = set(order[:cut])
    return [e for i, e in enumerate(examples) if i not in held], [examples[i] for i in sorted(held)]


def _config(args: argparse.Namespace) -> TaggerConfig:
    return TaggerConfig(word_dim=args.word_dim, use_chars=not args.no_chars, char_filters=args.char_filters,
                        hidden=args.hidden, layers=args.layers, dropout=args.dropout, head=args.head,
                        scheme=args.scheme, freeze_embeddings=args.freeze_embeddings, features=list(args.features))


def make_tagger(args: argparse.Namespace, train: list[Example]) -> tuple[Tagger, dict]:
    """The untrained (or transferred) tagger, and what transfer copied."""
    vectors = load_vectors(args.embeddings) if args.embeddings else None
    if not args.init_from:
        return build_tagger(train, _config(args), vectors, min_count=args.min_count,
                            max_pretrained_words=args.max_pretrained_words, name=args.name, version=args.version,
                            seed=args.seed), {}
    source = Tagger.load(args.init_from)
    if vectors is not None and vectors.vector_size != source.config.word_dim:
        raise SystemExit(f"--embeddings have {vectors.vector_size} dimensions, --init-from model "
                         f"{source.config.word_dim}: use the vectors the source model was trained with")
    config = TaggerConfig.from_dict(source.config.to_dict())
    config.dropout, config.freeze_embeddings = args.dropout, args.freeze_embeddings
    fresh = build_tagger(train, config, vectors, min_count=args.min_count,
                         max_pretrained_words=args.max_pretrained_words, name=args.name, version=args.version,
                         seed=args.seed)
    words, chars = extend_vocabularies(source, fresh.words, fresh.chars)
    tagger = Tagger.build(config, words, chars, fresh.tags, name=args.name, version=args.version)
    # Rows for items the source lacks come from the fresh tagger (pretrained vectors or its random init).
    init_from(tagger, fresh)
    copied = init_from(tagger, source, parse_label_map(args.init_label_map))
    return tagger, {"init_from": str(args.init_from), "copied": copied}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    train = _load(args.train, args)
    dev = _load(args.dev, args) if args.dev else []
    if not dev and args.dev_fraction > 0:
        train, dev = split_dev(train, args.dev_fraction, args.seed)
    if not train:
        raise SystemExit("no training sentences")
    tagger, transfer = make_tagger(args, train)
    settings = TrainingConfig(epochs=args.epochs, patience=args.patience, batch_size=args.batch_size,
                              learning_rate=args.lr, lr_decay=args.lr_decay, word_dropout=args.word_dropout,
                              seed=args.seed, threads=args.threads)
    training = {"fingerprint": fingerprint(train), "sentences": len(train),
                "tokens": sum(len(e.tokens) for e in train), "dev_fingerprint": fingerprint(dev) if dev else None,
                "dev_sentences": len(dev), "sources": {"train": args.train, "dev": args.dev},
                "mask_phi": args.mask_phi, "min_count": args.min_count,
                "embeddings": args.embeddings, "settings": settings.to_dict(), **transfer}
    checkpoints = Checkpoints(args.checkpoints or args.output.with_name(args.output.name + ".checkpoints"), training)
    result = fit(tagger, train, dev, settings, checkpoints, Progress(args.epochs, enabled=not args.quiet),
                 resume=args.resume)
    training["result"] = result.to_dict()
    metrics = {"dev": score_examples(tagger, dev).to_dict()} if dev else {}
    tagger.save(args.output, training, metrics)
    if args.test:
        update_metrics(args.output, {"test": score_examples(tagger, _load(args.test, args)).to_dict()})
    summary = {"output": str(args.output), "best_dev_f1": result.best_f1, "best_epoch": result.best_epoch,
               "epochs": result.epochs, "seconds": result.seconds}
    print(json.dumps(summary), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
