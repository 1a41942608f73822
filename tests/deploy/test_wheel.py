"""The built wheel is the project: installed alone into a fresh virtual environment (the
locked dependencies, then the wheel, no access to the source tree) it fits the same card,
byte for byte, as the editable install does — so every data file the card depends on (the
built-in ``klarna.toml`` overrides above all) ships in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.paths import REPO

LOCK = REPO / "requirements" / "main.lock"
# What the wheel is built from (pyproject's packages.find and its readme).
SOURCES = ("pyproject.toml", "README.md", "scorecard", "api", "validation")
EDITABLE = REPO / ".venv" / "bin" / "scorecard"


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and a working directory outside the repository: `import scorecard`
    # resolves to whatever the interpreter has installed, nothing else.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _build_wheel(tmp_path: Path) -> Path:
    # Built from a copy of the worktree's files: an in-place build reuses build/lib, where a
    # file deleted from the source would linger and hide a missing data file.
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(REPO / name, src / name)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "-w", dist, src], cwd=tmp_path)
    (wheel,) = dist.glob("*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_alone_fits_the_same_card_as_the_editable_install(tmp_path: Path) -> None:
    assert EDITABLE.exists(), "run `bash scripts/bootstrap.sh dev` first"
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "scorecard/fit/overrides/klarna.toml" in names
    assert "scorecard/fit/overrides/heloc.toml" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--require-hashes", "--no-deps", "-r", LOCK], cwd=tmp_path)
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--no-deps", wheel], cwd=tmp_path)
    where = _run([python, "-c", "import scorecard; print(scorecard.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout

    data = tmp_path / "small.csv"
    _run([EDITABLE, "generate-data", "--rows", "20000", "--unlabelled", "1000", "--seed", "3",
          "--quiet", "--output", data], cwd=tmp_path)
    for install, out in ((venv / "bin" / "scorecard", "wheel"), (EDITABLE, "editable")):
        _run([install, "regenerate", "--data", data, "--out", tmp_path / out,
              "--no-challenger", "--quiet"], cwd=tmp_path)
    from_wheel = (tmp_path / "wheel" / "scorecard.json").read_bytes()
    assert b'"overrides_file": "klarna.toml"' in from_wheel
    assert from_wheel == (tmp_path / "editable" / "scorecard.json").read_bytes()
