"""The package as a new user installs it: ``pip install .`` into a fresh virtual environment,
dependencies resolved from ``pyproject.toml`` alone (no lock, no source tree on the path),
gives a ``scorecard serve`` that starts and scores; without httptools (uvicorn's fast
parser, an optional extra) it still serves, on the pure-Python protocol, and says so."""

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

# What pip builds the package from (pyproject's packages.find and its readme).
SOURCES = ("pyproject.toml", "README.md", "scorecard", "api", "validation")


def _call(url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _serve_and_score(scorecard: Path, artifact: Path, cwd: Path, env: dict[str, str]
                     ) -> str:
    """Start ``scorecard serve``, wait for /ready, score the card's example applicant;
    returns the server's output."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(scorecard), "serve", "--artifact", str(artifact),
                                   "--port", str(port)], cwd=cwd, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, _ = _call(f"http://127.0.0.1:{port}/ready")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`scorecard serve` did not start:\n{log.read_text()}")
                time.sleep(0.3)
        assert status == 200
        status, card = _call(f"http://127.0.0.1:{port}/v1/scorecard")
        columns = [Column.from_dict(c) for c in card["input_contract"]]
        status, scored = _call(f"http://127.0.0.1:{port}/v1/score",
                               example_applicant(columns, card["id_column"]))
        assert status == 200 and 0 < scored["pd"] < 1 and scored["grade"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return log.read_text()


@pytest.mark.slow
def test_pip_install_from_pyproject_alone_gives_a_serve_that_scores(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(REPO / name, src / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    done = subprocess.run([*pip, "install", "--quiet", str(src)], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    scorecard = venv / "bin" / "scorecard"
    artifact = REPO / "reports" / "scorecard.json"

    out = _serve_and_score(scorecard, artifact, tmp_path, env)
    assert "httptools is not installed" not in out

    # The fast parser is optional: without it the server degrades with one line, no crash.
    subprocess.run([*pip, "uninstall", "--quiet", "--yes", "httptools"], env=env, check=True)
    out = _serve_and_score(scorecard, artifact, tmp_path, env)
    assert "httptools is not installed: serving with the pure-Python h11 protocol" in out
