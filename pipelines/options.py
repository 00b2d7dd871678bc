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
from transforms.inference import DEFAULT_MAX_BATCH_SIZE
from transforms.read import DEFAULT_MAX_NOTE_CHARS, ReadConfig

# The annotator pipelines.annotate uses without --model: the packaged neural model (issue 7); "rules" is the
# baseline behind --model=rules. Tests only rely on it being registered.
DEFAULT_MODEL = "medication"
KNOWN_MODELS = ("rules", "medication", "tagger")


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


class OutputOptions(PipelineOptions):
    """Options every job writing datasets shares (Beam parses all option classes with one parser, so a flag may
    be defined once only). Each job applies its own default output directory: ``output_dir``."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--output", default=None,
                            help="Output directory (default: ./annotations for annotate and deidentify, "
                                 "./pretrain for pretrain).")
        parser.add_argument("--num_shards", type=int, default=0,
                            help="Parquet files (pretrain: sentence shards) per dataset (0: let the runner decide).")


def output_dir(options: PipelineOptions, default: str) -> str:
    """The ``--output`` given, else the job's ``default``."""
    return options.view_as(OutputOptions).output or default


class AnnotateOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--model", default=DEFAULT_MODEL,
                            help="Annotator: a registered name (" + ", ".join(KNOWN_MODELS) + ") or a model "
                                 "directory (a tagger package written by python -m ehr_models.train).")
        parser.add_argument("--run_date", default=None,
                            help="The Hive partition this run writes, YYYY-MM-DD (default: today, UTC). A rerun "
                                 "of the same date replaces that date's rows of the same model version.")
        parser.add_argument("--since", default=None,
                            help="Only annotate notes whose note_date is on or after this YYYY-MM-DD (notes "
                                 "without a date are annotated); the others are counted as skipped.")
        parser.add_argument("--no_incremental", dest="incremental", action="store_false", default=True,
                            help="Annotate every note, even those this model version already annotated in "
                                 "earlier runs of --output (their rows are then written again).")
        parser.add_argument("--omop", action="store_true",
                            help="Also write OUTPUT/note_nlp/: OMOP CDM v5.4 NOTE_NLP rows.")
        parser.add_argument("--max_batch_size", type=int, default=DEFAULT_MAX_BATCH_SIZE,
                            help="Most notes handed to the model at once (RunInference batches).")
        parser.add_argument("--share_model_across_processes", action="store_true",
                            help="Load one model per machine, served to every worker process (large models).")
        parser.add_argument("--model_copies", type=int, default=None,
                            help="Load exactly this many model copies per machine (large models).")
        parser.add_argument("--report_samples", type=int, default=5,
                            help="Notes the HTML run report shows in their de-identified text (0: none).")
        parser.add_argument("--report_notes", type=int, default=None,
                            help="Input size in notes, for the ETA of progress lines (default: counted when the "
                                 "input is a directory or glob of text files).")


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


class PretrainOptions(PipelineOptions):
    """pipelines.pretrain's own options (``--output`` and ``--num_shards`` are ``OutputOptions``'). Training
    defaults left ``None`` here come from ``ehr_models.embeddings.training.TrainingOptions`` (imported by the
    pretrain job only: gensim is not a dependency of the other jobs' workers)."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        parser.add_argument("--skip_training", action="store_true", help="Build the corpus only.")
        parser.add_argument("--skip_corpus", action="store_true",
                            help="Train only, on the corpus an earlier run left in OUTPUT/corpus.")
        parser.add_argument("--algorithm", default=None,
                            help="word2vec or fasttext (default fasttext: character n-gram vectors for unseen and "
                                 "misspelt words).")
        parser.add_argument("--architecture", default=None, help="skipgram (default) or cbow.")
        parser.add_argument("--dimensions", type=int, default=None)
        parser.add_argument("--window", type=int, default=None)
        parser.add_argument("--min_count", type=int, default=None,
                            help="Tokens seen fewer times get no vector of their own.")
        parser.add_argument("--max_vocab", type=int, default=None, help="Keep at most this many tokens.")
        parser.add_argument("--epochs", type=int, default=None)
        parser.add_argument("--workers", type=int, default=0, help="Training threads (0: every core).")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--bucket", type=int, default=None,
                            help="FastText n-gram hash buckets (memory: bucket x dimensions floats).")
        parser.add_argument("--vectors_dtype", default="float32", choices=("float32", "float16"))
