"""A fitted card with an interaction, end to end: regenerate publishes its points grid in the
card, the binning CSVs, the workbook and the validation report, byte for byte again on a
second run, and DuckDB scores the exported SQL exactly as numpy does."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from scorecard.card.artifact import load_artifact
from scorecard.card.engine import ScoringEngine
from scorecard.data.files import read_dataset, write_dataset
from scorecard.jobs.batch import score_duckdb
from scorecard.jobs.regenerate import RegenerateConfig, regenerate
from tests.fit.test_interactions import _frame, _spec

CONFIG = RegenerateConfig(cv_folds=2, cv_repeats=1, challenger=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("interaction_outputs")
    X, y = _frame(8_000, 1, crossed=True)
    data = tmp / "pairs.csv"
    spec = _spec("auto")
    write_dataset(X.assign(bad=y), data, spec.contract)
    a, b = tmp / "a", tmp / "b"
    regenerate(spec, data, a, config=CONFIG)
    regenerate(spec, data, b, config=CONFIG)
    return data, a, b


def test_the_interaction_is_published_everywhere(runs: tuple[Path, Path, Path]) -> None:
    _, out, _ = runs
    card = load_artifact(out / "scorecard.json")
    mine = [f for f in card["features"] if f["kind"] == "interaction"]
    assert [f["name"] for f in mine] == ["a_x_b"]
    cells = pd.read_csv(out / "binning" / "a_x_b.csv")
    assert cells["points"].tolist() == [b["points"] for b in mine[0]["bins"]]
    assert cells["in_card"].all()
    ws = load_workbook(out / "binning_tables.xlsx")["a_x_b"]
    values = [[c for c in row if c is not None] for row in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(values) if r and str(r[0]).startswith("points grid"))
    grid = [r[1:] for r in values[at + 2: at + 2 + len(mine[0]["grid"])]]
    assert grid == mine[0]["grid"]
    html = (out / "validation.html").read_text()
    assert "a_x_b: points per cell" in html and "by cell (two-dimensional)" in html
    log = pd.read_csv(out / "selection_log.csv")
    assert (log.loc[log["step"] == "interaction", "feature"] == "a_x_b").any()


def test_a_second_run_gives_the_same_bytes(runs: tuple[Path, Path, Path]) -> None:
    _, a, b = runs
    for name in ("scorecard.json", "selection_log.csv", "coefficients.csv",
                 "binning/a_x_b.csv", "binning_tables.xlsx", "validation.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_duckdb_scores_the_fitted_grid_as_numpy(runs: tuple[Path, Path, Path],
                                                tmp_path: Path) -> None:
    data, out, _ = runs
    card = json.loads((out / "scorecard.json").read_text())
    frame = read_dataset(data, _spec("auto").contract).frame
    want = ScoringEngine(card).score(frame)
    score_duckdb(card, data, tmp_path / "scored.csv")
    got = pd.read_csv(tmp_path / "scored.csv")
    np.testing.assert_array_equal(got["score"].to_numpy(), want.score)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pd.DataFrame]:
    """A card with pairs of categorical parents (numeric x categorical, categorical x
    categorical), published by regenerate; its data respelled as a client might send it."""
    from tests.fit.test_interactions import mixed_frame, mixed_spec

    tmp = tmp_path_factory.mktemp("mixed_outputs")
    X, y = mixed_frame(8_000, 2)
    data = tmp / "mixed.csv"
    write_dataset(X.assign(bad=y), data, mixed_spec().contract)
    regenerate(mixed_spec(), data, tmp / "out", config=CONFIG)
    return data, tmp / "out", X


def test_categorical_grids_are_published_with_their_sheet_and_report(mixed_run) -> None:
    _, out, _ = mixed_run
    card = load_artifact(out / "scorecard.json")
    mine = {f["name"]: f for f in card["features"] if f["kind"] == "interaction"}
    assert set(mine) == {"a_x_k", "k_x_m"}
    assert [p["kind"] for p in mine["k_x_m"]["parents"]] == ["categorical", "categorical"]
    assert mine["a_x_k"]["reason_code"] != mine["k_x_m"]["reason_code"]
    wb = load_workbook(out / "binning_tables.xlsx")
    html = (out / "validation.html").read_text()
    for name, f in mine.items():
        values = [[c for c in row if c is not None]
                  for row in wb[name].iter_rows(values_only=True)]
        at = next(i for i, r in enumerate(values) if r and str(r[0]).startswith("points grid"))
        assert [r[1:] for r in values[at + 2: at + 2 + len(f["grid"])]] == f["grid"]
        assert f"{name}: points per cell" in html
        assert pd.read_csv(out / "binning" / f"{name}.csv")["points"].tolist() == [
            b["points"] for b in f["bins"]]


def test_duckdb_scores_categorical_parents_as_numpy_also_respelled(mixed_run,
                                                                   tmp_path: Path) -> None:
    from tests.fit.test_interactions import mixed_spec

    _, out, X = mixed_run
    card = json.loads((out / "scorecard.json").read_text())
    odd = X.head(300).copy()
    odd["uid"] = [f"odd{i}" for i in range(len(odd))]
    odd.loc[odd.index[:100], "k"] = [" a", "b ", "E"] * 33 + ["e"]  # normalised matching
    odd.loc[odd.index[100:150], "m"] = "X"
    frame = pd.concat([X, odd], ignore_index=True).assign(bad=np.nan)
    path = tmp_path / "respelled.csv"
    contract = mixed_spec().contract
    free = replace(contract, columns=tuple(replace(c, allowed=None) if c.name in ("k", "m")
                                           else c for c in contract.columns))
    write_dataset(frame, path, free)
    want = ScoringEngine(card).score(frame)
    score_duckdb(card, path, tmp_path / "scored.csv", contract=free)
    got = pd.read_csv(tmp_path / "scored.csv")
    np.testing.assert_array_equal(got["score"].to_numpy(), want.score)
