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
    run(base + ["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}", "--environment_type=EXTERNAL",
                f"--environment_config=localhost:{pool_port}", "--output", str(tmp_path / "portable")])
    # Annotation runs through RunInference on both; the incremental state they commit is identical too.
    for name in ("entities", "relations", "notes", "errors", "state"):
        assert rows(tmp_path / "direct", name) == rows(tmp_path / "portable", name), name


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
