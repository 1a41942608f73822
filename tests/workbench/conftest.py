"""A small generated data set and a review session on it, shared by the workbench tests."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from scorecard.data.synthetic.generator import write_generated
from scorecard.fit.overrides import BUILTIN_DIR
from scorecard.fit.spec import load_spec
from scorecard.workbench.session import Session


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wbdata") / "small.csv"
    write_generated(path, rows=8000, unlabelled=800, seed=5)
    return path


@pytest.fixture()
def session(small_data: Path, tmp_path: Path) -> Session:
    overrides = tmp_path / "overrides.toml"
    shutil.copy(BUILTIN_DIR / "klarna.toml", overrides)
    # The classic card's binning (at least 5 % of rows, at most 8 bins): on 8,000 rows the
    # joint card's floor of 30 defaults per bin leaves too few bins to edit.
    spec = replace(load_spec("klarna"), card_method="woe")
    return Session(spec, small_data, overrides, tmp_path / "work", reviewer="tester",
                   baseline=False)
