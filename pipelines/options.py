"""Pipeline options: one ``PipelineOptions`` subclass per job (Beam parses, validates and ships them)."""

from __future__ import annotations

import argparse
import datetime
import json
import importlib.resources
import secrets

import fsspec
from apache_beam.options.pipeline_options import PipelineOptions

from ehr_models.formats.archives import DEFAULT_MAX_MEMBER_BYTES, DEFAULT_MAX_RATIO, ArchiveLimits
from ehr_models.formats.detect import FORMATS
from ehr_models.formats.tables import ColumnMap
from ehr_models.records import META_KEYS
from transforms.read import DEFAULT_MAX_NOTE_CHARS, ReadConfig


def sample_notes_dir() -> str:
    """The fictional notes bundled with the package: the default input of every job."""
    return str(importlib.resources.files("pipelines") / "sample_notes")


def new_run_id() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class ReadOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--input", default=None,
                            help="Notes to read: a directory, a glob or a file, local or any fsspec URL "
                                 "(default: the sample notes bundled with ehrbeam).")
        parser.add_argument("--max_note_chars", type=int, default=DEFAULT_MAX_NOTE_CHARS,
                            help="Notes longer than this go to errors/ (NoteTooLarge) instead of being annotated.")
        parser.add_argument("--run_id", default=None, help="Identifier stored with every row (default: time + random).")
        parser.add_argument("--input_format", default=None, choices=FORMATS,
                            help="Read every input file as this format (default: from each file's name).")
        parser.add_argument("--id_column", default=None,
                            help="CSV/JSONL/Parquet: column holding the note id (default note_id; ROW_ID for MIMIC).")
        parser.add_argument("--text_column", default=None,
                            help="CSV/JSONL/Parquet: column holding the note text (default text; TEXT for MIMIC).")
        parser.add_argument("--meta_columns", default=None,
                            help="CSV/JSONL/Parquet: metadata columns as KEY=COLUMN pairs, comma-separated; keys: "
                                 + ", ".join(META_KEYS) + " (e.g. patient_id=SUBJECT_ID,note_date=CHARTDATE).")
        parser.add_argument("--max_member_bytes", type=int, default=DEFAULT_MAX_MEMBER_BYTES,
                            help="Archive members larger than this once decompressed go to errors/.")
        parser.add_argument("--skip_cross_file_duplicate_check", action="store_true",
                            help="Do not look for note ids repeated across input files (saves memory that grows "
                                 "with the note count on DirectRunner; repeats within a file are always caught).")
        parser.add_argument("--max_archive_ratio", type=float, default=DEFAULT_MAX_RATIO,
                            help="Zip members compressed more than this ratio go to errors/ (zip bombs).")


class DeidOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--skip_deid", action="store_true",
                            help="Do not de-identify first (only for corpora that are already de-identified).")
        parser.add_argument("--deid_mode", default="mask", choices=("mask", "surrogate"),
                            help="mask: [**LABEL**]; surrogate: realistic stand-ins, dates shifted per patient.")
        parser.add_argument("--deid_config", default=None,
                            help="JSON file with a de-identification engine configuration (default: built-in).")
        parser.add_argument("--deid_salt_env", default="EHRBEAM_DEID_SALT",
                            help="Environment variable holding the secret salt for surrogate mode (set it on "
                                 "every worker; the salt never enters the pipeline graph).")


class AnnotateOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--output", default="./annotations",
                            help="Output directory: entities/, relations/, notes/ and errors/ Parquet datasets.")
        parser.add_argument("--model", default="rules",
                            help="Annotator: a registered type name (rules).")
        parser.add_argument("--num_shards", type=int, default=0,
                            help="Parquet files per dataset (0: let the runner decide).")


def show_help_if_asked(argv: list[str], prog: str, description: str, *option_classes) -> None:
    """``--help`` lists the job's own options (Beam's parser would show only its own); exits after printing."""
    if "-h" in argv or "--help" in argv:
        parser = argparse.ArgumentParser(prog=prog, description=description,
                                         formatter_class=argparse.RawDescriptionHelpFormatter,
                                         epilog="Beam options (--runner, --direct_num_workers, ...) pass through.")
        for option_class in option_classes:
            option_class._add_argparse_args(parser)
        parser.parse_args(["--help"])


def read_config(options: ReadOptions) -> ReadConfig:
    """The ``ReadConfig`` that ``ReadOptions`` describe; raises ``ValueError`` for a malformed ``--meta_columns``."""
    columns = None
    if options.id_column or options.text_column or options.meta_columns:
        meta = {}
        for pair in filter(None, (options.meta_columns or "").split(",")):
            key, sep, column = pair.partition("=")
            if not sep or not column:
                raise ValueError(f"--meta_columns expects KEY=COLUMN pairs, got {pair!r}")
            meta[key.strip()] = column.strip()
        columns = ColumnMap.from_dict({"id": options.id_column or "note_id", "text": options.text_column or "text",
                                       "meta": meta})
    return ReadConfig(input_format=options.input_format, columns=columns, max_note_chars=options.max_note_chars,
                      archive_limits=ArchiveLimits(options.max_member_bytes, options.max_archive_ratio),
                      cross_file_duplicates=not options.skip_cross_file_duplicate_check)


def deid_engine_config(options: DeidOptions) -> dict | None:
    """The engine configuration named by ``--deid_config`` (None: the built-in default)."""
    if not options.deid_config:
        return None
    with fsspec.open(options.deid_config, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def deid_arguments(options: DeidOptions) -> dict | None:
    """The ``transforms.deid.Deidentify`` arguments the options describe, or None with ``--skip_deid``."""
    if options.skip_deid:
        return None
    return {"engine_config": deid_engine_config(options), "mode": options.deid_mode,
            "salt_env": options.deid_salt_env}
