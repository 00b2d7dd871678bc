"""ReadNotes and WriteDatasets: the only places pipelines touch storage (reading lives in ``transforms.read``).

Reading goes through fsspec, so ``file://``, ``memory://``, ``s3://``, ``gs://``, ``hdfs://`` and ``http(s)://``
work wherever the matching fsspec filesystem package is installed. Writing goes through Beam's own filesystems
(local, GCS, S3, HDFS), so the sink scales on every runner.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms import schemas
from transforms.read import (DEFAULT_MAX_NOTE_CHARS, ERRORS_TAG, ReadConfig, ReadNotes, error_row,
                             note_row)

__all__ = ["DEFAULT_MAX_NOTE_CHARS", "ERRORS_TAG", "ReadConfig", "ReadNotes", "WriteDatasets", "clear_datasets",
           "error_row", "note_row"]


def clear_datasets(output: str, names=tuple(schemas.DATASETS)) -> None:
    """Remove the Parquet parts a previous run left in ``output/NAME/`` so a rerun replaces, never duplicates."""
    for name in names:
        pattern = FileSystems.join(output, name, "*.parquet")
        matched = [m.path for result in FileSystems.match([pattern]) for m in result.metadata_list]
        if matched:
            FileSystems.delete(matched)


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
            )
        return results
