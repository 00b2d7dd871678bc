"""Annotate clinical notes with medications and their attributes, written as Parquet.

    python -m pipelines.annotate --runner=DirectRunner                 # bundled sample notes -> ./annotations
    python -m pipelines.annotate --input notes/ --output out/ --runner=DirectRunner
"""

from __future__ import annotations

import logging
import sys
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.options import (AnnotateOptions, DeidOptions, ReadOptions, deid_arguments, new_run_id, read_config,
                               sample_notes_dir, show_help_if_asked)
from pipelines.runner import absolute_local, create_pipeline
from ehr_models.registry import available
from transforms.annotate import Annotate
from transforms.deid import ReadAndDeidentify, describe_deid
from transforms.io import ReadConfig, WriteDatasets, clear_datasets
from transforms.report import format_summary, summarize, write_manifest


def build(pipeline: beam.Pipeline, input_spec: str, output: str, model: str, run_id: str,
          read: ReadConfig, num_shards: int = 0, deid: dict | None = None) -> None:
    """Wire ReadNotes -> Deidentify -> Annotate -> WriteDatasets onto ``pipeline``. ``deid`` holds the
    Deidentify arguments (``engine_config``, ``mode``, ``salt_env``); ``None`` skips de-identification."""
    source = pipeline | "ReadAndDeidentify" >> ReadAndDeidentify(input_spec, run_id, read, deid)
    annotated = source["notes"] | "Annotate" >> Annotate({"type": model}, run_id)
    datasets = {
        "entities": annotated["entities"],
        "relations": annotated["relations"],
        "notes": (source["note_rows"], annotated["notes"]) | "AllNoteRows" >> beam.Flatten(),
        "errors": (source["errors"], annotated["errors"]) | "AllErrors" >> beam.Flatten(),
    }
    _ = datasets | "WriteDatasets" >> WriteDatasets(output, num_shards)


def run(argv: list[str] | None = None) -> dict:
    show_help_if_asked(argv or [], "python -m pipelines.annotate", __doc__, ReadOptions, DeidOptions, AnnotateOptions)
    options = PipelineOptions(argv)
    read_options, annotate_options = options.view_as(ReadOptions), options.view_as(AnnotateOptions)
    if annotate_options.model not in available():
        raise SystemExit(f"unknown --model {annotate_options.model!r}; available: {', '.join(available())}")
    try:
        config = read_config(read_options)
        deid = deid_arguments(options.view_as(DeidOptions))
    except (ValueError, OSError) as error:
        raise SystemExit(str(error)) from None
    run_id = read_options.run_id or new_run_id()
    input_spec = read_options.input or sample_notes_dir()
    output = absolute_local(annotate_options.output)
    clear_datasets(output)
    started = time.monotonic()
    with create_pipeline(options) as pipeline:
        build(pipeline, input_spec, output, annotate_options.model, run_id, config, annotate_options.num_shards, deid)
    summary = summarize(output, time.monotonic() - started)
    write_manifest(output, run_id, "annotate", summary, options.get_all_options(drop_default=True),
                   {"annotator": {"type": annotate_options.model}, "deid": deid and describe_deid(**deid)})
    print(format_summary(summary, run_id))
    return summary.to_dict()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = run(sys.argv[1:])
    if summary["notes_read"] == 0 and summary["input_errors"]:
        sys.exit(1)  # nothing could be read at all (a mistyped --input, say): make scripts and schedulers notice


if __name__ == "__main__":
    main()
