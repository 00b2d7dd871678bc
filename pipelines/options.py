"""Pipeline options: one ``PipelineOptions`` subclass per job (Beam parses, validates and ships them)."""

from __future__ import annotations

import argparse
import datetime
import importlib.resources
import secrets

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.io import DEFAULT_MAX_NOTE_CHARS


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
