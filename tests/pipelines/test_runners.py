"""Runner topologies give identical rows; runners that cannot start here fail fast with a clear message."""

from pathlib import Path

import pyarrow.dataset as ds
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.annotate import run
from pipelines.portable import free_port, local_portable_services
from pipelines.runner import RunnerUnavailable, check_runner


@pytest.fixture(scope="module")
def portable_services():
    """Beam's local job service and an EXTERNAL worker pool: the SDK-harness topology of Flink and Spark."""
    with local_portable_services() as services:
        yield services.job_port, services.pool_port


def rows(output: Path, name: str) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in ds.dataset(output / name, format="parquet").to_table().to_pylist())


def test_direct_and_portable_runners_write_identical_rows(portable_services, mixed_dir, tmp_path):
    job_port, pool_port = portable_services
    base = ["--input", str(mixed_dir), "--run_id=fixed", "--model=rules", "--run_date=2026-01-01"]
    run(base + ["--runner=DirectRunner", "--output", str(tmp_path / "direct")])
    portable = ["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}", "--environment_type=EXTERNAL",
                f"--environment_config=localhost:{pool_port}"]
    run(base + portable + ["--output", str(tmp_path / "portable")])
    run(base + portable + ["--sdk_worker_parallelism=2", "--output", str(tmp_path / "portable2")])
    # Annotation runs through RunInference on both; the incremental state they commit is identical too.
    for name in ("entities", "relations", "notes", "errors", "state"):
        assert rows(tmp_path / "direct", name) == rows(tmp_path / "portable", name), name
        assert rows(tmp_path / "direct", name) == rows(tmp_path / "portable2", name), name


def _worker_pid(_):
    import os

    return str(os.getpid())


def test_local_job_service_runs_a_job_on_the_sdk_workers_it_asks_for(portable_services, tmp_path):
    # Beam's own local job service runs every job on one SDK worker (one busy core); pipelines.portable's splits
    # each stage over --sdk_worker_parallelism workers of the EXTERNAL pool.
    import apache_beam as beam

    job_port, pool_port = portable_services
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}",
                               "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool_port}",
                               "--sdk_worker_parallelism=2"])
    with beam.Pipeline(options=options) as pipeline:
        _ = (pipeline | beam.Create(range(64)) | beam.Reshuffle() | beam.Map(_worker_pid) | beam.Distinct()
             | beam.io.WriteToText(str(tmp_path / "pids")))
    pids = {line for path in tmp_path.glob("pids*") for line in path.read_text().split()}
    assert len(pids) == 2


@pytest.mark.parametrize("argv, expected", [
    (["--runner=FlinkRunner"], "--flink_job_server_jar"),
    (["--runner=FlinkRunner", "--flink_job_server_jar=/nope/job-server.jar"], "not a file"),
    (["--runner=SparkRunner"], "--spark_job_server_jar"),
    (["--runner=PortableRunner"], "--job_endpoint"),
    (["--runner=DataflowRunner"], "Dataflow"),
])
def test_unavailable_runners_fail_fast_with_what_they_need(argv, expected):
    # Raised by the check itself, before Beam could try to download a job-server jar.
    with pytest.raises(RunnerUnavailable, match=expected.replace("-", "\\-")):
        check_runner(PipelineOptions(argv))


def test_flink_with_a_job_endpoint_passes_the_check():
    check_runner(PipelineOptions(["--runner=FlinkRunner", "--job_endpoint=localhost:8099"]))


def test_portable_jobs_may_outlive_beams_default_stream_deadline(portable_services):
    from pipelines.runner import LONG_JOB_TIMEOUT_S, allow_long_jobs
    from apache_beam.options.pipeline_options import PortableOptions

    job_port, _ = portable_services
    options = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}"])
    allow_long_jobs(options)
    assert options.view_as(PortableOptions).job_server_timeout == LONG_JOB_TIMEOUT_S
    given = PipelineOptions(["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}",
                             "--job_server_timeout=42"])
    allow_long_jobs(given)
    assert given.view_as(PortableOptions).job_server_timeout == 42
    with pytest.raises(RunnerUnavailable, match="nothing answers"):
        allow_long_jobs(PipelineOptions(["--runner=PortableRunner", f"--job_endpoint=localhost:{free_port()}"]))
