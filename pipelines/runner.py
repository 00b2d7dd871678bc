"""Pipeline construction shared by every job: the runner choice and the run summary."""

from __future__ import annotations

import os

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

DIRECT_NAMES = (None, "DirectRunner", "direct", "directrunner")


def create_pipeline(options: PipelineOptions) -> beam.Pipeline:
    """A pipeline for ``options``. ``--runner=DirectRunner`` (the default) runs on Beam's in-process FnApiRunner:
    Beam 2.77's DirectRunner would first try Prism, whose binary it downloads from the network, so an offline
    machine stalls before it falls back. FnApiRunner honours ``--direct_num_workers`` and
    ``--direct_running_mode``. Any other runner name is passed to Beam unchanged (``PrismRunner`` included)."""
    runner = options.view_as(StandardOptions).runner
    if runner in DIRECT_NAMES:
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return beam.Pipeline(runner=FnApiRunner(), options=options)
    return beam.Pipeline(options=options)


def absolute_local(path: str) -> str:
    """Local paths become absolute (workers may not share the launcher's working directory); URLs stay."""
    return path if "://" in path else os.path.abspath(path)
