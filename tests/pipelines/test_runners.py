"""Runner topologies give identical rows; runners that cannot start here fail fast with a clear message."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.annotate import run
from pipelines.runner import RunnerUnavailable, check_runner

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def portable_services():
    """Beam's local job service and an EXTERNAL worker pool: the SDK-harness topology of Flink and Spark."""
    job_port, pool_port = free_port(), free_port()
    env = {"PATH": f"{BIN}:/usr/bin:/bin"}
    processes = [
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                          "--port", str(job_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env),
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                          f"--service_port={pool_port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env),
    ]
    try:
        wait_for_port(job_port)
        wait_for_port(pool_port)
        yield job_port, pool_port
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


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
