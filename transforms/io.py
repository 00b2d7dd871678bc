"""ReadNotes and WriteDatasets: the only places pipelines touch storage (reading lives in ``transforms.read``).

Reading goes through fsspec, so ``file://``, ``memory://``, ``s3://``, ``gs://``, ``hdfs://`` and ``http(s)://``
work wherever the matching fsspec filesystem package is installed. Writing goes through Beam's own filesystems
(local, GCS, S3, HDFS), so the sink scales on every runner.
"""

from __future__ import annotations

import re

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms import schemas
from transforms.read import (DEFAULT_MAX_NOTE_CHARS, ERRORS_TAG, ReadConfig, ReadNotes, error_row,
                             note_row)

__all__ = ["DEFAULT_MAX_NOTE_CHARS", "ERRORS_TAG", "ReadConfig", "ReadNotes", "WriteDatasets", "clear_datasets",
           "commit_partitions", "error_row", "matched", "note_row", "remove_tree"]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Rows a Parquet writer buffers before it writes a row group. Beam's default (64 MB per dataset and bundle) is never
# reached by a 10k-note run, so a worker's buffers grew with the run: about 1.5 KB a note over all datasets, 75 MB a
# worker at 100k notes on two workers. 16 MB bounds that; readers see the same rows (only row groups differ).
ROW_GROUP_BYTES = 16 * 1024 * 1024


def clear_datasets(output: str, names=tuple(schemas.DATASETS)) -> None:
    """Remove the Parquet parts a previous run left in ``output/NAME/`` so a rerun replaces, never duplicates."""
    for name in names:
        found = matched(FileSystems.join(output, name, "*.parquet"))
        if found:
            FileSystems.delete(found)


def matched(pattern: str) -> list[str]:
    return sorted(m.path for result in FileSystems.match([pattern]) for m in result.metadata_list)


def file_prefix(model_name: str, model_version: str) -> str:
    """The name prefix of a model version's files inside a partition: a rerun replaces those files only, so two
    models (or versions) annotating on the same date keep each other's rows."""
    return _UNSAFE.sub("_", f"{model_name}-{model_version}").lstrip("._") or "model"


def commit_partitions(staging: str, output: str, names, run_date: str, prefix: str) -> dict[str, int]:
    """Move each staged ``STAGING/NAME/*.parquet`` into the Hive partition ``OUTPUT/NAME/run_date=D/`` as
    ``PREFIX__RUN-FILE``, first deleting that partition's earlier ``PREFIX__*`` files (a rerun of the same date
    replaces, never duplicates). Returns the files committed per dataset. Called once the run succeeded."""
    committed = {}
    for name in names:
        staged = matched(FileSystems.join(staging, name, "*.parquet"))
        target = FileSystems.join(output, name, f"run_date={run_date}")
        stale = matched(FileSystems.join(target, f"{prefix}__*.parquet"))
        if stale:
            FileSystems.delete(stale)
        if not staged:
            committed[name] = 0
            continue
        try:
            FileSystems.mkdirs(target)
        except OSError:
            pass  # exists already
        run = staging.rstrip("/").rsplit("/", 1)[-1]
        FileSystems.rename(staged, [FileSystems.join(target, f"{prefix}__{run}-{path.rsplit('/', 1)[-1]}")
                                    for path in staged])
        committed[name] = len(staged)
    return committed


def remove_tree(path: str) -> None:
    """Delete a directory tree (a run's staging area) wherever it lives."""
    if FileSystems.exists(path):
        FileSystems.delete([path])


class WriteDatasets(beam.PTransform):
    """Write ``{name: PCollection of row dicts}`` as Parquet datasets ``output/NAME/part-*.parquet``; ``datasets``
    maps names to schemas (default: the annotate job's four)."""

    def __init__(self, output: str, num_shards: int = 0, datasets: dict | None = None) -> None:
        super().__init__()
        self.output = output
        self.num_shards = num_shards
        self.schemas = datasets or schemas.DATASETS

    def expand(self, datasets: dict):
        results = {}
        for name, rows in datasets.items():
            results[name] = rows | f"Write{name.capitalize()}" >> beam.io.WriteToParquet(
                FileSystems.join(self.output, name, "part"),
                schema=self.schemas[name],
                file_name_suffix=".parquet",
                num_shards=self.num_shards,
                row_group_buffer_size=ROW_GROUP_BYTES,
            )
        return results
