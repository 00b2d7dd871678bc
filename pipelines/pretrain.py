"""Pretrain word embeddings on clinical notes: a Beam corpus stage, then gensim training.

    python -m pipelines.pretrain --runner=DirectRunner --input notes/ --output OUT
    python -m pipelines.pretrain --output OUT --skip_corpus --algorithm word2vec   # retrain on OUT/corpus

Reads notes, de-identifies them (masking by default; ``--skip_deid`` only for corpora that already are), and
writes ``OUT/corpus/`` (sentence shards, token counts, manifest.json), ``OUT/vectors/`` (a vectors directory:
``ehr_models.embeddings.load_vectors``) and the ``notes/`` and ``errors/`` datasets of the output contract.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from ehr_models.embeddings.corpus import read_corpus_manifest
from ehr_models.embeddings.training import ALGORITHMS, ARCHITECTURES, TrainingOptions, train_to_directory
from pipelines.options import (DeidOptions, OutputOptions, PretrainOptions, ReadOptions, deid_arguments, new_run_id,
                               output_dir, read_config, sample_notes_dir, show_help_if_asked)
from pipelines.runner import absolute_local, create_pipeline
from transforms.deid import ReadAndDeidentify
from transforms.io import ReadConfig, WriteDatasets, clear_datasets
from transforms.pretrain import BuildCorpus, STATUS
from transforms.report import summarize

CORPUS_DIR = "corpus"
VECTORS_DIR = "vectors"
DATASETS = ("notes", "errors")
DEFAULT_OUTPUT = "./pretrain"


_TRAINING_FIELDS = ("algorithm", "architecture", "dimensions", "window", "min_count", "max_vocab", "epochs", "seed",
                    "bucket")


def training_options(options: PretrainOptions) -> TrainingOptions:
    """``TrainingOptions`` from the flags given (``TrainingOptions``' defaults for the others); raises
    ``SystemExit`` for an unknown algorithm or architecture."""
    if options.algorithm not in (None, *ALGORITHMS):
        raise SystemExit(f"--algorithm must be one of {', '.join(ALGORITHMS)}")
    if options.architecture not in (None, *ARCHITECTURES):
        raise SystemExit(f"--architecture must be one of {', '.join(ARCHITECTURES)}")
    given = {name: getattr(options, name) for name in _TRAINING_FIELDS if getattr(options, name) is not None}
    return TrainingOptions(**given, workers=options.workers or os.cpu_count() or 1)


def build(pipeline: beam.Pipeline, input_spec: str, output: str, run_id: str, read_config: ReadConfig,
          num_shards: int, deid: dict | None) -> None:
    """Wire ReadNotes -> Deidentify -> BuildCorpus -> notes/errors datasets onto ``pipeline``. ``deid`` holds the
    Deidentify arguments (``engine_config``, ``mode``, ``salt_env``); ``None`` skips de-identification."""
    source = pipeline | "ReadAndDeidentify" >> ReadAndDeidentify(input_spec, run_id, read_config, deid)
    stages = [source]
    notes = source["notes"]
    deid_record = f"ehr_models.deid, {deid['mode']}" if deid else "skipped (input declared de-identified)"
    record = {"input": input_spec, "num_shards": num_shards, "max_note_chars": read_config.max_note_chars,
              "run_id": run_id, "deid": deid_record}
    built = notes | "BuildCorpus" >> BuildCorpus(FileSystems.join(output, CORPUS_DIR), run_id, num_shards, record)
    stages.append(built)
    datasets = {
        "notes": tuple(s["note_rows"] for s in stages) | "AllNoteRows" >> beam.Flatten(),
        "errors": tuple(s["errors"] for s in stages) | "AllErrors" >> beam.Flatten(),
    }
    _ = datasets | "WriteDatasets" >> WriteDatasets(output)


def clear_corpus(corpus_dir: str) -> None:
    """Remove the shards, counts and manifest of an earlier run (fewer shards this time would leave stale ones)."""
    matched = [m.path for result in FileSystems.match([FileSystems.join(corpus_dir, "*")])
               for m in result.metadata_list]
    if matched:
        FileSystems.delete(matched)


def train(output: str, options: TrainingOptions, dtype: str) -> dict:
    """Train on ``OUTPUT/corpus`` into ``OUTPUT/vectors`` (through a local directory when the output is remote)."""
    corpus_dir, vectors_dir = FileSystems.join(output, CORPUS_DIR), FileSystems.join(output, VECTORS_DIR)
    if "://" not in output:
        return train_to_directory(corpus_dir, vectors_dir, options, dtype)
    with tempfile.TemporaryDirectory() as local:
        record = train_to_directory(corpus_dir, local, options, dtype)
        for name in os.listdir(local):
            with open(os.path.join(local, name), "rb") as source, \
                    FileSystems.create(FileSystems.join(vectors_dir, name)) as target:
                target.write(source.read())
    return record


def format_summary(result: dict) -> str:
    lines = [f"ehrbeam pretrain: run {result['run_id']} finished in {result['elapsed_s']:.1f} s",
             f"  output     {result['output']}/{{{CORPUS_DIR},{VECTORS_DIR},notes,errors}}/"]
    if "notes_by_status" in result:
        status = result["notes_by_status"]
        lines.append(f"  notes      {sum(status.values())} read: {status.get(STATUS, 0)} {STATUS}, "
                     f"{status.get('error', 0)} errors, {status.get('skipped', 0)} skipped")
    corpus = result["corpus"]
    lines.append(f"  corpus     {corpus['sentences']} sentences, {corpus['tokens']} tokens, {corpus['vocab_size']} "
                 f"distinct, {len(corpus['shards'])} shards ({corpus['input_fingerprint'][:27]}...)")
    if "training" in result:
        training = result["training"]
        lines.append(f"  vectors    {training['algorithm']} {training['architecture']} {training['dimensions']}-d, "
                     f"{result['vocabulary']} tokens (min_count {training['min_count']}); "
                     f"{result['words_per_second']} words/s")
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> dict:
    show_help_if_asked(argv or [], "python -m pipelines.pretrain", __doc__, ReadOptions, DeidOptions, OutputOptions,
                       PretrainOptions)
    options = PipelineOptions(argv)
    read_options, pretrain = options.view_as(ReadOptions), options.view_as(PretrainOptions)
    deid_options = options.view_as(DeidOptions)
    try:
        config = read_config(read_options)
        deid = deid_arguments(deid_options)
    except (ValueError, OSError) as error:
        raise SystemExit(str(error)) from None
    run_id = read_options.run_id or new_run_id()
    output = absolute_local(output_dir(options, DEFAULT_OUTPUT))
    started = time.monotonic()
    result: dict = {"run_id": run_id, "output": output}
    if not pretrain.skip_corpus:
        clear_datasets(output, DATASETS)
        clear_corpus(FileSystems.join(output, CORPUS_DIR))
        with create_pipeline(options) as pipeline:
            build(pipeline, read_options.input or sample_notes_dir(), output, run_id, config,
                  options.view_as(OutputOptions).num_shards, deid)
        summary = summarize(output)
        result.update(notes_by_status=dict(summary.notes_by_status), errors_by_stage=dict(summary.errors_by_stage),
                      input_errors=summary.input_errors)
    try:
        result["corpus"] = read_corpus_manifest(FileSystems.join(output, CORPUS_DIR))
    except FileNotFoundError:
        raise SystemExit(f"no corpus in {output}/{CORPUS_DIR}: run without --skip_corpus first") from None
    if not pretrain.skip_training and result["corpus"]["tokens"]:
        try:
            record = train(output, training_options(pretrain), pretrain.vectors_dtype)
        except ValueError as error:  # no token reaches min_count: say so, no traceback
            raise SystemExit(f"pretrain: {error}") from None
        result.update(training=record["training"], train_seconds=record["train_seconds"],
                      words_per_second=record["words_per_second"], vocabulary=record["vocabulary"])
    result["elapsed_s"] = round(time.monotonic() - started, 2)
    print(format_summary(result))
    return result


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(sys.argv[1:])
    if not result["corpus"]["tokens"]:
        sys.exit(1)  # nothing to learn from (a mistyped --input, say): make scripts and schedulers notice


if __name__ == "__main__":
    main()
