"""Annotate clinical notes with medications and their attributes, written as Parquet.

    python -m pipelines.annotate --runner=DirectRunner                 # bundled sample notes -> ./annotations
    python -m pipelines.annotate --input notes/ --output out/ --runner=DirectRunner
    python -m pipelines.annotate --input notes/ --output out/ --model medication --omop   # + OMOP NOTE_NLP

Runs are incremental: each writes Hive partitions OUTPUT/NAME/run_date=YYYY-MM-DD/ and annotates only the notes
this model version has not annotated in earlier runs of the same --output (a changed note is annotated again).
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass

import apache_beam as beam
import fsspec
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from ehr_models.formats.detect import detect_format
from ehr_models.formats.text_files import glob_base, is_hidden
from ehr_models.registry import available, build_annotator
from pipelines.options import (AnnotateOptions, DeidOptions, OutputOptions, ReadOptions, deid_arguments, new_run_id,
                               output_dir, read_config, sample_notes_dir, show_help_if_asked)
from pipelines.runner import absolute_local, create_pipeline
from transforms import schemas
from transforms.annotate import Annotate, RowSettings
from transforms.deid import Deidentify, describe_deid
from transforms.html_report import render
from transforms.incremental import SKIPPED_TAG, STATE_DIR, SkipDone
from transforms.inference import NoteModelHandler
from transforms.io import (ReadConfig, ReadNotes, WriteDatasets, commit_partitions, file_prefix, remove_tree)
from transforms.progress import ProgressMonitor
from transforms.report import format_summary, summarize, write_manifest, write_run_file

_LOGGER = logging.getLogger("pipelines.annotate")
DEFAULT_OUTPUT = "./annotations"
STAGING_DIR = "_staging"
SKIPPED = pa.schema([("note_id", pa.string()), ("reason", pa.string())])


@dataclass(frozen=True)
class Increment:
    """What an incremental run skips: notes the model version annotated before ``run_date`` in ``state_root``
    (``None``: nothing), and notes dated before ``since``."""

    state_root: str | None = None
    run_date: str = ""
    since: str | None = None


@dataclass(frozen=True)
class Inference:
    """How ``RunInference`` runs the model (``transforms.inference.NoteModelHandler``'s options)."""

    max_batch_size: int = 64
    share_across_processes: bool = False
    model_copies: int | None = None


def model_config(spec: str | dict) -> dict:
    """The registry config ``--model`` names: a registered name, or a model directory (a tagger package).
    Raises ``SystemExit`` with what is available when it is neither."""
    if isinstance(spec, dict):
        return spec
    if os.path.isdir(spec):
        if not os.path.isfile(os.path.join(spec, "config.json")):
            raise SystemExit(f"--model {spec!r} is a directory but not a model package (no config.json)")
        with open(os.path.join(spec, "config.json"), encoding="utf-8") as handle:
            kind = json.load(handle).get("kind")
        if kind != "tagger":
            raise SystemExit(f"--model {spec!r} is a {kind!r} package; a model directory must hold a tagger")
        if "tagger" not in available():
            raise SystemExit("--model DIR needs the 'tagger' annotator, which this installation does not register")
        return {"type": "tagger", "model": os.path.abspath(spec)}
    if spec in available() and spec != "tagger":
        return {"type": spec}
    if spec == "tagger":
        raise SystemExit("--model tagger needs a model directory: pass --model PATH/TO/PACKAGE instead")
    raise SystemExit(f"unknown --model {spec!r}: give a registered name ({', '.join(available())}) or a model "
                     f"directory")


def model_identity(config: dict) -> tuple[str, str]:
    """(name, version) of the annotator ``config`` builds; ``SystemExit`` when it cannot be built here (a model
    directory that does not load, say), before any pipeline work starts."""
    try:
        annotator = build_annotator(config)
        return str(annotator.name), str(annotator.version)
    except (KeyError, ValueError, OSError, ImportError, RuntimeError) as error:
        raise SystemExit(f"--model {config.get('model', config.get('type'))!r} cannot be loaded: "
                         f"{type(error).__name__}: {error}") from None


def build(pipeline: beam.Pipeline, input_spec: str, output: str, model: str | dict, run_id: str,
          read: ReadConfig, num_shards: int = 0, deid: dict | None = None, increment: Increment = Increment(),
          inference: Inference = Inference(), omop_time: datetime.datetime | None = None,
          progress: str | None = None, identity: tuple[str, str] | None = None, report_samples: int = 5) -> None:
    """Wire ReadNotes -> SkipDone -> Deidentify -> Annotate (RunInference) -> WriteDatasets onto ``pipeline``,
    writing ``output/NAME/`` (the launcher points it at a staging area and commits partitions afterwards).

    ``deid`` holds the Deidentify arguments (``None`` skips de-identification); ``increment`` what to skip;
    ``omop_time`` set adds NOTE_NLP rows; ``progress`` a directory for progress files; ``identity`` the model's
    (name, version) when the caller has it already (else the annotator is built here to learn it);
    ``report_samples`` how many notes the HTML report shows."""
    config = model_config(model)
    name, version = identity or model_identity(config)
    read_out = pipeline | "ReadNotes" >> ReadNotes(input_spec, run_id, config=read)
    todo = read_out["notes"] | "SkipDone" >> beam.ParDo(SkipDone(
        increment.state_root or "", name, version, increment.run_date, increment.state_root is not None,
        increment.since)).with_outputs(SKIPPED_TAG, main="notes")
    notes, note_rows, errors = todo.notes, [read_out["note_rows"]], [read_out["errors"]]
    if deid is not None:
        deidentified = notes | "Deidentify" >> Deidentify(run_id=run_id, **deid)
        notes = deidentified["notes"]
        note_rows.append(deidentified["note_rows"])
        errors.append(deidentified["errors"])
    handler = NoteModelHandler(config, inference.max_batch_size, inference.share_across_processes,
                               inference.model_copies, (name, version))
    annotated = notes | "Annotate" >> Annotate(handler, RowSettings(run_id, omop_time, progress, report_samples))
    datasets = {
        "entities": annotated["entities"],
        "relations": annotated["relations"],
        "notes": tuple(note_rows + [annotated["notes"]]) | "AllNoteRows" >> beam.Flatten(),
        "errors": tuple(errors + [annotated["errors"]]) | "AllErrors" >> beam.Flatten(),
        "state": annotated["state"],
        "skipped": todo[SKIPPED_TAG],
    }
    written = {**schemas.DATASETS, "state": schemas.STATE, "skipped": SKIPPED}
    if omop_time is not None:
        datasets["note_nlp"] = annotated["note_nlp"]
        written["note_nlp"] = schemas.NOTE_NLP
    _ = datasets | "WriteDatasets" >> WriteDatasets(output, num_shards, written)
    _ = (annotated["samples"] | "SampleJson" >> beam.Map(json.dumps)
         | "WriteSamples" >> beam.io.WriteToText(FileSystems.join(output, "samples", "part"), ".jsonl"))


def expected_notes(input_spec: str) -> int | None:
    """How many notes a directory or glob of plain-text files holds (for the progress ETA); None otherwise."""
    try:
        fs, path = fsspec.core.url_to_fs(input_spec)
        if fs.isdir(path):
            base, paths = path, fs.find(path)
        elif any(ch in path for ch in "*?["):
            base, paths = glob_base(path), fs.glob(path)
        else:
            return None
        paths = [p for p in paths if not is_hidden(p[len(base.rstrip("/")) + 1:])]
        return len(paths) if all(detect_format(p) == "text" for p in paths) else None
    except Exception:  # an unreadable input is reported by the pipeline itself
        return None


def _metric_seconds(result, namespace: str, name: str, scale: float) -> float | None:
    """Sum of a counter or distribution over the run (seconds); None where the runner does not report it."""
    try:
        from apache_beam.metrics.metric import MetricsFilter

        query = result.metrics().query(MetricsFilter().with_namespace(namespace).with_name(name))
        total = sum(r.committed for r in query["counters"]) + sum(r.committed.sum for r in query["distributions"])
        return round(total * scale, 2) if (query["counters"] or query["distributions"]) else None
    except Exception:
        return None


def _staged_rows(staging: str, name: str, columns: list[str]) -> list[dict]:
    import pyarrow.dataset as ds

    fs, root = fsspec.core.url_to_fs(staging)
    path = f"{root.rstrip('/')}/{name}"
    if not fs.exists(path):
        return []
    return ds.dataset(path, format="parquet", filesystem=fs).to_table(columns=columns).to_pylist()


def _samples(staging: str) -> list[dict]:
    fs, root = fsspec.core.url_to_fs(staging)
    records = []
    for path in sorted(fs.glob(f"{root.rstrip('/')}/samples/*.jsonl")):
        with fs.open(path, "r", encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return sorted(records, key=lambda r: (-len(r["entities"]), r["note_id"]))


def _remove_if_empty(path: str) -> None:
    if "://" not in path:
        try:
            os.rmdir(path)
        except OSError:
            pass  # another run is staging there, or a remote store (no empty directories)


def _check_date(value: str | None, flag: str) -> str | None:
    if value is not None:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise SystemExit(f"{flag} expects YYYY-MM-DD, got {value!r}") from None
    return value


def run(argv: list[str] | None = None) -> dict:
    show_help_if_asked(argv or [], "python -m pipelines.annotate", __doc__, ReadOptions, DeidOptions, OutputOptions,
                       AnnotateOptions)
    started = time.monotonic()
    options = PipelineOptions(argv)
    read_options, annotate = options.view_as(ReadOptions), options.view_as(AnnotateOptions)
    config = model_config(annotate.model)
    name, version = model_identity(config)
    try:
        read = read_config(read_options)
        deid = deid_arguments(options.view_as(DeidOptions))
    except (ValueError, OSError) as error:
        raise SystemExit(str(error)) from None
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    run_date = _check_date(annotate.run_date, "--run_date") or now.date().isoformat()
    since = _check_date(annotate.since, "--since")
    run_id = read_options.run_id or new_run_id()
    input_spec = read_options.input or sample_notes_dir()
    output = absolute_local(output_dir(options, DEFAULT_OUTPUT))
    staging = FileSystems.join(output, STAGING_DIR, run_id)
    remove_tree(staging)
    expected = annotate.report_notes or expected_notes(input_spec)
    increment = Increment(output if annotate.incremental else None, run_date, since)
    inference = Inference(annotate.max_batch_size, annotate.share_model_across_processes, annotate.model_copies)
    timings = {"plan": round(time.monotonic() - started, 2)}

    monitor = ProgressMonitor(staging, expected)
    monitor.start()
    began = time.monotonic()
    try:
        pipeline = create_pipeline(options)
        build(pipeline, input_spec, staging, config, run_id, read, options.view_as(OutputOptions).num_shards, deid,
              increment, inference, now if annotate.omop else None, staging, (name, version), annotate.report_samples)
        result = pipeline.run()
        result.wait_until_finish()
    finally:
        monitor.stop()
    timings["pipeline"] = round(time.monotonic() - began, 2)
    for stage, metric in (("deidentify_engine", ("deidentify", "engine_msecs", 1e-3)),
                          ("model_inference", ("ehrbeam_annotate", "inference_batch_latency_micro_secs", 1e-6))):
        seconds = _metric_seconds(result, *metric)
        if seconds is not None:
            timings[stage] = seconds  # worker time summed over workers: can exceed the wall-clock pipeline time

    began = time.monotonic()
    summary = summarize(staging, time.monotonic() - started)
    summary.output = output
    medications = Counter(" ".join(row["text"].lower().split())
                          for row in _staged_rows(staging, "entities", ["label", "text"])
                          if row["label"] == "medication")
    samples = _samples(staging)
    timings["summarize"] = round(time.monotonic() - began, 2)
    began = time.monotonic()
    datasets = list(schemas.DATASETS) + (["note_nlp"] if annotate.omop else [])
    prefix = file_prefix(name, version)
    committed = commit_partitions(staging, output, datasets, run_date, prefix)
    # The state goes last: a run that died before this point is simply redone by the next one.
    committed.update(commit_partitions(staging, output, [STATE_DIR], run_date, prefix))
    remove_tree(staging)
    _remove_if_empty(FileSystems.join(output, STAGING_DIR))
    timings["commit"] = round(time.monotonic() - began, 2)

    summary.elapsed_s = time.monotonic() - started
    done = summary.notes_by_status.get("annotated", 0)
    extra = {
        "model": {"name": name, "version": version, "config": config}, "run_date": run_date, "since": since,
        "incremental": annotate.incremental, "stage_seconds": timings, "files_committed": committed,
        "notes_in": summary.notes_read, "notes_out": done,
        "notes_per_second": round(done / timings["pipeline"], 1) if timings["pipeline"] else None,
        "input_size_known": expected,
    }
    options_record = options.get_all_options(drop_default=True)
    components = {"annotator": config, "deid": deid and describe_deid(**deid)}
    manifest_path = write_manifest(output, run_id, "annotate", summary, options_record, components, extra)
    with fsspec.open(manifest_path, "r", encoding="utf-8") as handle:
        manifest = json.load(handle)
    write_run_file(output, f"{run_id}.html", render(manifest, medications, samples))
    print(format_summary(summary, run_id))
    print(f"  report     {output}/runs/{run_id}.html")
    return {**summary.to_dict(), **extra, "run_id": run_id}


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("transforms.progress").setLevel(logging.INFO)  # progress lines while the run goes
    summary = run(sys.argv[1:])
    if summary["notes_read"] == 0 and summary["input_errors"]:
        sys.exit(1)  # nothing could be read at all (a mistyped --input, say): make scripts and schedulers notice


if __name__ == "__main__":
    main()
