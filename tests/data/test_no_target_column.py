"""A file of new applicants has no target column: every command reads it by one rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.data.chunks import iter_dataset
from scorecard.data.contract import KLARNA
from scorecard.data.errors import ContractError
from scorecard.data.files import read_dataset
from scorecard.data.synthetic.generator import write_generated


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 400 applicants with the target column (all ``NA``) and without it."""
    tmp = tmp_path_factory.mktemp("no_target")
    data, _, _, _ = write_generated(tmp / "full.csv", rows=400, unlabelled=400, seed=11)
    frame = pd.read_csv(data, sep=";", dtype=str, keep_default_na=False)
    assert set(frame["default"]) == {"NA"}
    without = tmp / "applicants.csv"
    frame.drop(columns="default").to_csv(without, sep=";", index=False, lineterminator="\n")
    return data, without


def _scorecard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scorecard", *args], capture_output=True,
                          text=True, timeout=300)


def test_a_file_without_the_target_reads_as_all_rows_to_predict(
        files: tuple[Path, Path]) -> None:
    full, without = files
    a, b = read_dataset(full), read_dataset(without)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert len(b.to_predict) == 400 and b.labelled.empty
    streamed = pd.concat(block.to_frame() for block in iter_dataset(without, KLARNA, 1 << 14))
    pd.testing.assert_frame_equal(streamed, a.frame)


def test_training_still_needs_the_target_column(files: tuple[Path, Path]) -> None:
    with pytest.raises(ContractError, match="'default': required column is missing"):
        read_dataset(files[1], require_labelled=True)


def test_predict_and_validate_accept_new_applicants_without_the_target(
        files: tuple[Path, Path], artifact_path: Path, tmp_path: Path) -> None:
    full, without = files
    scored = {}
    for name, path in (("full", full), ("without", without)):
        out = tmp_path / f"{name}.csv"
        run = _scorecard("predict", "--artifact", str(artifact_path), "--input", str(path),
                         "--output", str(out))
        assert run.returncode == 0, run.stderr
        scored[name] = pd.read_csv(out)
    pd.testing.assert_frame_equal(scored["full"], scored["without"])
    assert len(scored["without"]) == 400 and np.isfinite(scored["without"]["pd"]).all()
    run = _scorecard("check", str(without))
    assert run.returncode == 0, run.stderr
    assert "valid: 400 rows (0 labelled, 400 to predict)" in run.stdout
    run = _scorecard("check", str(without), "--require-labelled")
    assert run.returncode == 3 and "required column is missing" in run.stderr
