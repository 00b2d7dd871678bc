"""Beam's local job service plus an EXTERNAL worker pool on this machine: the SDK-harness topology of Flink and
Spark without a cluster (tests, benchmarks, trying a portable run).

    with local_portable_services() as services:
        run(["--input", "notes/", *services.runner_args, "--sdk_worker_parallelism=2"])

    python -m pipelines.portable --port 8099     # the job service alone (start worker_pool_main beside it)

The job service is Beam's own (``LocalJobServicer``), with one change: Beam's runs every job on ONE SDK worker,
whatever the job asks for. Its runner (``FnApiRunner.run_via_runner_api``) never reads a worker count, and
``--sdk_worker_parallelism`` is read by the Flink and Spark job servers only, so a 2-core machine ran portable jobs
on one core (BENCHMARKS.md, issue 8). Here a job's ``--sdk_worker_parallelism=N`` (0: one per core) asks the
EXTERNAL pool for N workers and splits every stage's input over them, as ``--direct_num_workers`` does for the
DirectRunner. Rows are the same (tests/pipelines/test_runners.py).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

_LOGGER = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Return once something accepts connections on ``port``; ``TimeoutError`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


def sdk_workers(options) -> int:
    """How many SDK workers a job asks for: ``--sdk_worker_parallelism`` (Beam's default 1; 0: one per core)."""
    from apache_beam.options.pipeline_options import PortableOptions

    try:
        wanted = int(options.view_as(PortableOptions).sdk_worker_parallelism or 1)
    except (TypeError, ValueError):
        wanted = 1
    return multiprocessing.cpu_count() if wanted <= 0 else wanted


def parallel_job_type():
    """Beam's ``BeamJob`` running its job over ``sdk_workers(options)`` SDK workers (imported lazily: Beam)."""
    from apache_beam.portability.api import beam_job_api_pb2
    from apache_beam.runners.portability import local_job_service
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    class ParallelBeamJob(local_job_service.BeamJob):
        def _invoke_runner(self):  # Beam's, plus the worker count that FnApiRunner.run_pipeline would set
            self.set_state(beam_job_api_pb2.JobState.RUNNING)
            options = self.pipeline_options()
            runner = fn_runner.FnApiRunner(provision_info=self._provision_info)
            runner._num_workers = sdk_workers(options)
            _LOGGER.info("job %s: %d SDK workers", self._job_id, runner._num_workers)
            return runner.run_via_runner_api(self._pipeline_proto, options)

    return ParallelBeamJob


def serve_jobs(port: int = 0, staging_dir: str | None = None) -> None:
    """Run the job service on ``port`` until SIGTERM or Ctrl-C."""
    from apache_beam.runners.portability import local_job_service

    servicer = local_job_service.LocalJobServicer(staging_dir, beam_job_type=parallel_job_type())
    bound = servicer.start_grpc_server(port)
    _LOGGER.info("Listening for beam jobs on port %d", bound)
    try:
        while True:
            time.sleep(3600)
    finally:
        servicer.stop()


@dataclass(frozen=True)
class PortableServices:
    processes: tuple[subprocess.Popen, ...]
    job_port: int
    pool_port: int

    @property
    def runner_args(self) -> list[str]:
        """The pipeline options that send a job to these services."""
        return ["--runner=PortableRunner", f"--job_endpoint=localhost:{self.job_port}",
                "--environment_type=EXTERNAL", f"--environment_config=localhost:{self.pool_port}"]


@contextlib.contextmanager
def local_portable_services() -> Iterator[PortableServices]:
    """Start the job service (this module's: it honours ``--sdk_worker_parallelism``) and Beam's worker pool (this
    interpreter's venv first on their PATH, so the pool's workers import the same packages), wait until both
    listen, stop them on exit."""
    job_port, pool_port = free_port(), free_port()
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
           "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    processes = (
        # cwd: "-m pipelines.portable" must find this file whatever the caller's directory holds
        subprocess.Popen([sys.executable, "-m", "pipelines.portable", "--port", str(job_port)], cwd=root, **quiet),
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.worker.worker_pool_main",
                          f"--service_port={pool_port}"], **quiet),
    )
    try:
        wait_for_port(job_port)
        wait_for_port(pool_port)
        yield PortableServices(processes, job_port, pool_port)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Beam's local job service, honouring --sdk_worker_parallelism")
    parser.add_argument("-p", "--port", "--job_port", type=int, default=0)
    parser.add_argument("--staging_dir")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.basicConfig(level=logging.INFO)
    serve_jobs(args.port, args.staging_dir)


if __name__ == "__main__":
    main()
