"""Beam's local job service plus an EXTERNAL worker pool on this machine: the SDK-harness topology of Flink and
Spark without a cluster (tests, benchmarks, trying a portable run).

    with local_portable_services() as services:
        run(["--input", "notes/", *services.runner_args])
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator


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
    """Start the job service and the worker pool (this interpreter's venv first on their PATH, so the pool's
    workers import the same packages), wait until both listen, stop them on exit."""
    job_port, pool_port = free_port(), free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    processes = (
        subprocess.Popen([sys.executable, "-m", "apache_beam.runners.portability.local_job_service_main",
                          "--port", str(job_port)], **quiet),
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
