"""The serving image's runtime set, proven without a Docker engine: build a virtual
environment from exactly the lock file the Dockerfile installs, lay out the files the
Dockerfile copies, start the API from it with uvicorn and score an applicant."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.schemas import EXAMPLE_APPLICANT
from tests.helpers import REPO

LOCK = REPO / "requirements" / "runtime.lock"
COPIED = ("api", "scorecard", "validation")  # as the Dockerfile's COPY lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.mark.slow
def test_api_starts_from_the_runtime_lock_alone(tmp_path: Path, artifact_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The Dockerfile's install: hash-checked, binary wheels only, nothing beyond the lock.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes",
                    "--only-binary", ":all:", "--no-deps", "--disable-pip-version-check",
                    "-r", str(LOCK)], check=True)
    app = tmp_path / "app"
    for name in COPIED:
        shutil.copytree(REPO / name, app / name,
                        ignore=shutil.ignore_patterns("__pycache__", "synthetic"))
    (app / "reports").mkdir()
    shutil.copy(artifact_path, app / "reports" / "scorecard.json")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(app),
           "SCORECARD_ARTIFACT": str(app / "reports" / "scorecard.json"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    # The training stack is absent from the runtime set.
    probe = subprocess.run([str(python), "-c", "import pandas"], env=env, capture_output=True)
    assert probe.returncode != 0
    port = _free_port()
    server = subprocess.Popen([str(python), "-m", "uvicorn", "--factory", "api.app:create_app",
                               "--host", "127.0.0.1", "--port", str(port)],
                              cwd=app, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    out = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"the API did not start from the runtime set:\n{out}")
                time.sleep(0.3)
        assert status == 200
        status, _ = _get(f"http://127.0.0.1:{port}/ready")
        assert status == 200
        status, scored = _get(f"http://127.0.0.1:{port}/v1/score", EXAMPLE_APPLICANT)
        assert status == 200 and 0 < scored["pd"] < 1 and scored["grade"]
    finally:
        server.terminate()
        server.wait(timeout=30)
