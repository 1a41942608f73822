"""The serving image's runtime set, proven without a Docker engine: build a virtual
environment from exactly the lock file the Dockerfile installs, lay out exactly the files the
Dockerfile's runtime COPY lines name (parsed from the Dockerfile: one source of truth), start
the API from it with uvicorn and score an applicant."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from api.openapi import example_applicant
from scorecard.data.contract import Column
from tests.support.paths import REPO
from tests.support.servers import free_port

LOCK = REPO / "requirements" / "runtime.lock"
DOCKERFILE = REPO / "Dockerfile"


def runtime_copies() -> list[tuple[list[str], str]]:
    """``(sources, destination)`` of every COPY of the Dockerfile's last stage that copies
    from the build context (not ``--from=`` another stage)."""
    logical, pending = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stage_start = max(i for i, line in enumerate(logical) if line.upper().startswith("FROM "))
    copies = []
    for line in logical[stage_start:]:
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "COPY" and not args.startswith("--from="):
            *sources, destination = args.split()
            copies.append((sources, destination))
    return copies


def lay_out(root: Path) -> list[Path]:
    """Copy what the runtime COPY lines name into ``root`` (``/app`` -> ``root``)."""
    laid = []
    for sources, destination in runtime_copies():
        assert destination.startswith("/app/"), destination
        target = root / destination.removeprefix("/app/")
        for source in sources:
            src = REPO / source
            if src.is_dir():
                shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__"),
                                dirs_exist_ok=True)
                laid.append(target)
            else:
                dest = target / src.name if destination.endswith("/") else target
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(src, dest)
                laid.append(dest)
    return laid




def _get(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


@pytest.mark.slow
def test_api_starts_from_the_runtime_lock_alone(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # The Dockerfile's install: hash-checked, binary wheels only, nothing beyond the lock.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes",
                    "--only-binary", ":all:", "--no-deps", "--disable-pip-version-check",
                    "-r", str(LOCK)], check=True)
    app = tmp_path / "app"
    lay_out(app)
    assert (app / "reports" / "scorecard.json").read_bytes() == (
        REPO / "reports" / "scorecard.json").read_bytes()
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(app),
           "SCORECARD_ARTIFACT": str(app / "reports" / "scorecard.json"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    # The training stack and the project's other layers are absent from the runtime set.
    for module in ("pandas", "scorecard.fit", "scorecard.jobs", "scorecard.cli", "validation",
                   "scorecard.data.files"):
        probe = subprocess.run([str(python), "-c", f"import {module}"], env=env, cwd=app,
                               capture_output=True)
        assert probe.returncode != 0, module
    port = free_port()
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
        status, card = _get(f"http://127.0.0.1:{port}/v1/scorecard")
        assert status == 200
        columns = [Column.from_dict(c) for c in card["input_contract"]]
        applicant = example_applicant(columns, card["id_column"])
        status, scored = _get(f"http://127.0.0.1:{port}/v1/score", applicant)
        assert status == 200 and 0 < scored["pd"] < 1 and scored["grade"]
    finally:
        server.terminate()
        server.wait(timeout=30)
