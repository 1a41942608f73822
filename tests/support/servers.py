"""Real servers for the tests: free loopback ports and uvicorn in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.paths import REPO


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_uvicorn(port: int, protocol: str, environment: dict[str, str], log: Path,
                  workers: int = 1) -> subprocess.Popen:
    """``uvicorn --factory api.app:create_app`` on 127.0.0.1:``port`` with the HTTP
    ``protocol`` class and ``workers`` processes, its output in ``log``; returns once
    ``/health`` answers 200.

    Raises:
        RuntimeError: the server exited or did not answer within 60 s (with its log).
    """
    import httpx

    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--http", protocol, "--no-access-log",
         "--workers", str(workers)],
        cwd=REPO, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Return once ``url`` answers; fail if ``proc`` (the server) exits or ``timeout``
    seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")
