"""De-identify clinical notes: de-identified text and PHI offsets, written as Parquet.

    python -m pipelines.deidentify --runner=DirectRunner --input notes/ --output deid/
    EHRBEAM_DEID_SALT=... python -m pipelines.deidentify --deid_mode=surrogate --input notes/ --output deid/

Writes OUTPUT/notes/ (the note columns plus the de-identified ``text``), OUTPUT/phi/ (note_id, start, end, label:
offsets into the ORIGINAL note, never the PHI itself) and OUTPUT/errors/.
"""

from __future__ import annotations

import logging
import sys
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.options import (DeidOptions, OutputOptions, ReadOptions, deid_arguments, new_run_id, output_dir,
                               read_config, sample_notes_dir, show_help_if_asked)
from pipelines.runner import absolute_local, create_pipeline
from transforms import schemas
from transforms.deid import Deidentify, deidentified_note_row, describe_deid, phi_rows
from transforms.io import ReadConfig, ReadNotes, WriteDatasets, clear_datasets
from transforms.report import format_summary, summarize, write_manifest

DEFAULT_OUTPUT = "./annotations"


def build(pipeline: beam.Pipeline, input_spec: str, output: str, run_id: str, read: ReadConfig, deid: dict,
          num_shards: int = 0) -> None:
    """Wire ReadNotes -> Deidentify -> WriteDatasets (notes, phi, errors) onto ``pipeline``; ``deid`` holds the
    Deidentify arguments (``engine_config``, ``mode``, ``salt_env``)."""
    read = pipeline | "ReadNotes" >> ReadNotes(input_spec, run_id, config=read)
    deid = read["notes"] | "Deidentify" >> Deidentify(run_id=run_id, **deid)
    failed_rows = (read["note_rows"], deid["note_rows"]) | "FailedNoteRows" >> beam.Flatten()
    datasets = {
        "notes": (
            (deid["notes"] | "DeidentifiedRows" >> beam.Map(deidentified_note_row, run_id),
             failed_rows | "WithTextColumn" >> beam.Map(lambda row: {**row, "text": None}))
            | "AllNoteRows" >> beam.Flatten()
        ),
        "phi": deid["notes"] | "PhiRows" >> beam.FlatMap(phi_rows, run_id),
        "errors": (read["errors"], deid["errors"]) | "AllErrors" >> beam.Flatten(),
    }
    _ = datasets | "WriteDatasets" >> WriteDatasets(output, num_shards, schemas.DEID_DATASETS)


def run(argv: list[str] | None = None) -> dict:
    show_help_if_asked(argv or [], "python -m pipelines.deidentify", __doc__, ReadOptions, DeidOptions,
                       OutputOptions)
    options = PipelineOptions(argv)
    read_options = options.view_as(ReadOptions)
    try:
        config = read_config(read_options)
        deid = deid_arguments(options.view_as(DeidOptions))
        if deid is None:
            raise ValueError("--skip_deid cannot apply to the de-identification job itself")
    except (ValueError, OSError) as error:
        raise SystemExit(str(error)) from None
    run_id = read_options.run_id or new_run_id()
    output = absolute_local(output_dir(options, DEFAULT_OUTPUT))
    clear_datasets(output, tuple(schemas.DEID_DATASETS))
    started = time.monotonic()
    with create_pipeline(options) as pipeline:
        build(pipeline, read_options.input or sample_notes_dir(), output, run_id, config, deid,
              options.view_as(OutputOptions).num_shards)
    summary = summarize(output, time.monotonic() - started)
    write_manifest(output, run_id, "deidentify", summary, options.get_all_options(drop_default=True),
                   {"deid": describe_deid(**deid)})
    print(format_summary(summary, run_id, job="deidentify"))
    return summary.to_dict()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = run(sys.argv[1:])
    if summary["notes_read"] == 0 and summary["input_errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
