"""The command line starts at once: help and argument checking load no data or model stack.

Asserted on the modules a fresh interpreter has imported, not on time (the figures are in
the report of issue 12): ``python -X importtime`` lists every module a run imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import REPO

# The training and data stack: seconds of imports, none needed to print help or to serve.
HEAVY = ("pandas", "sklearn", "optbinning", "statsmodels", "pandera", "scipy", "joblib",
         "duckdb", "pyarrow", "matplotlib")


def _imported(*args: str, cwd: Path = REPO) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime -m scorecard ARGS``; the top-level packages it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "scorecard", *args],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    names = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines()
             if line.startswith("import time:") and "|" in line}
    assert "scorecard" in names, run.stderr[-2000:]  # -X importtime did report
    return run, names


@pytest.mark.parametrize("args", [("--help",), ("predict", "--help"), ("serve", "--help"),
                                  ("regenerate", "--help"), ("score", "--help"),
                                  ("generate-data", "--help"), ("check", "--help")])
def test_help_imports_no_heavy_package(args: tuple[str, ...]) -> None:
    run, names = _imported(*args)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "usage: scorecard" in run.stdout
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_a_usage_mistake_is_reported_before_any_heavy_import() -> None:
    run, names = _imported("predict", "--input", "x.csv", "--output", "y.csv", "--top", "-2")
    assert run.returncode == 2
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_serve_loads_no_training_stack(tmp_path: Path) -> None:
    """``serve`` up to the server: it verifies the card (numpy) and starts uvicorn with the
    API, which imports only the card and the data contract. A card that does not verify
    stops it there, so the modules of both parts are checked without binding a port."""
    bad = tmp_path / "card.json"
    bad.write_text("{}")
    run, names = _imported("serve", "--artifact", str(bad))
    assert run.returncode == 4, run.stderr[-2000:]
    assert not names & set(HEAVY), sorted(names & set(HEAVY))
    # What the uvicorn worker imports: the app factory.
    code = ("import sys, api.app, scorecard.cli.serve; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    app = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True)
    training = {"pandas", "sklearn", "optbinning", "statsmodels", "pandera", "scipy"}
    assert not set(app.stdout.split()) & training, app.stdout


@pytest.fixture(scope="module")
def clean_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import write_dataset
    from tests.support.builders import sample_frame

    path = tmp_path_factory.mktemp("startup") / "clean.csv"
    write_dataset(sample_frame(KLARNA, 2_000, seed=5), path, KLARNA)
    return path


@pytest.mark.parametrize("command", ["predict", "check"])
def test_a_clean_file_is_read_and_scored_without_pandas(command: str, clean_file: Path,
                                                        artifact_path: Path,
                                                        tmp_path: Path) -> None:
    # pyarrow's own conversions import pandas (a fifth of a second, before the first block
    # is typed); the streamed read, the engine and the CSV writer go without them.
    args = (("predict", "--artifact", str(artifact_path), "--input", str(clean_file),
             "--output", str(tmp_path / "out.csv"), "--cutoff", "0.05") if command == "predict"
            else ("check", str(clean_file)))
    run, names = _imported(*args)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "pyarrow" in names and "pandas" not in names, sorted(names & set(HEAVY))
    if command == "predict":
        assert (tmp_path / "out.csv").read_text().splitlines()[0].endswith(",decision")
