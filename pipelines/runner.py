"""Pipeline construction shared by every job: the runner choice, checked before any work starts."""

from __future__ import annotations

import importlib.util
import os
import socket

import apache_beam as beam
from apache_beam.options.pipeline_options import (FlinkRunnerOptions, GoogleCloudOptions, PipelineOptions,
                                                  PortableOptions, SparkRunnerOptions, StandardOptions)

DIRECT_NAMES = (None, "DirectRunner", "direct", "directrunner")
# Beam's PortableRunner reads the job's state stream with --job_server_timeout (default 300 s) as its deadline, so
# a job running longer than that fails with DEADLINE_EXCEEDED although it is fine. Measured here: a 10k-note run
# on the local job service died after 5 minutes. ehrbeam raises the default to a week; the endpoint is checked
# first, so a wrong --job_endpoint still fails at once instead of waiting that long.
LONG_JOB_TIMEOUT_S = 7 * 24 * 3600


class RunnerUnavailable(SystemExit):
    """The requested runner cannot start here; the message says what it needs."""


def _jar_problem(jar: str | None, flag: str, engine: str) -> str | None:
    if jar is None:
        return (f"{engine} needs a Beam job server: pass --job_endpoint=HOST:PORT of a running one, or {flag}=PATH "
                f"to a local job-server jar (Beam would otherwise download the jar at start-up, which an offline "
                f"machine cannot). See deploy/ for ready configurations.")
    if "://" not in jar and not os.path.isfile(jar):
        return f"{flag} points to {jar!r}, which is not a file"
    return None


def check_runner(options: PipelineOptions) -> None:
    """Fail fast, with a message naming what is missing, for runners that cannot start as configured."""
    runner = options.view_as(StandardOptions).runner
    name = (runner or "").lower().removesuffix("runner")
    problem = None
    has_endpoint = bool(options.view_as(PortableOptions).job_endpoint)
    if name == "flink" and not has_endpoint:
        problem = _jar_problem(options.view_as(FlinkRunnerOptions).flink_job_server_jar, "--flink_job_server_jar",
                               "FlinkRunner")
    elif name == "spark" and not has_endpoint:
        problem = _jar_problem(options.view_as(SparkRunnerOptions).spark_job_server_jar, "--spark_job_server_jar",
                               "SparkRunner")
    elif name == "portable" and not has_endpoint:
        problem = "PortableRunner needs --job_endpoint=HOST:PORT of a running Beam job service"
    elif name == "dataflow":
        if importlib.util.find_spec("google.cloud") is None or importlib.util.find_spec("apitools") is None:
            problem = "DataflowRunner needs Beam's GCP extras: pip install 'apache-beam[gcp]==2.77.0'"
        else:
            cloud = options.view_as(GoogleCloudOptions)
            missing = [flag for flag, value in (("--project", cloud.project), ("--region", cloud.region),
                                                ("--temp_location", cloud.temp_location)) if not value]
            if missing:
                problem = f"DataflowRunner needs {', '.join(missing)}"
    if problem:
        raise RunnerUnavailable(problem)


def create_pipeline(options: PipelineOptions) -> beam.Pipeline:
    """A pipeline for ``options``. ``--runner=DirectRunner`` (the default) runs on Beam's in-process FnApiRunner:
    Beam 2.77's DirectRunner would first try Prism, whose binary it downloads from the network, so an offline
    machine stalls before it falls back. FnApiRunner honours ``--direct_num_workers`` and
    ``--direct_running_mode``. Any other runner is checked (``check_runner``) and handed to Beam unchanged."""
    runner = options.view_as(StandardOptions).runner
    if runner in DIRECT_NAMES:
        from apache_beam.runners.portability.fn_api_runner import FnApiRunner

        return beam.Pipeline(runner=FnApiRunner(), options=options)
    check_runner(options)
    allow_long_jobs(options)
    return beam.Pipeline(options=options)


def allow_long_jobs(options: PipelineOptions) -> None:
    """With ``--job_endpoint`` and no ``--job_server_timeout`` given: check that something listens there
    (``RunnerUnavailable`` if not), then set the timeout to ``LONG_JOB_TIMEOUT_S``."""
    portable = options.view_as(PortableOptions)
    if not portable.job_endpoint or "job_server_timeout" in options.get_all_options(drop_default=True):
        return
    host, _, port = portable.job_endpoint.rpartition(":")
    try:
        with socket.create_connection((host or "localhost", int(port)), timeout=10):
            pass
    except (OSError, ValueError):
        raise RunnerUnavailable(f"nothing answers at --job_endpoint={portable.job_endpoint}: start the job server "
                                f"first (see deploy/)") from None
    portable.job_server_timeout = LONG_JOB_TIMEOUT_S


def absolute_local(path: str) -> str:
    """Local paths become absolute (workers may not share the launcher's working directory); URLs stay."""
    return path if "://" in path else os.path.abspath(path)
