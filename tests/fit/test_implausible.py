"""Implausible values (outside the spec's ``plausible`` range) do not bend a card's bins.

The frame is shaped like a bank's own file: numeric and categorical columns, missing values
and a cluster of absurd employment lengths (123 years and more) on risky rows, planted on a
declared trend (longer employment is safer). Today's binning would pool those rows with the
longest real employments; the rule puts them in a special bin of their own.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from scorecard.data.contract import Column, Contract
from scorecard.fit.binning import WoEBinner, implausible_label
from scorecard.fit.estimator import Scorecard
from scorecard.fit.spec import DatasetSpec

CONTRACT = Contract(
    name="bank_b",
    columns=(
        Column("uid", "id"),
        Column("bad", "target", allowed=(0, 1)),
        Column("emp_years", "numeric", nullable=True, min=0),
        Column("income", "numeric", nullable=True, min=0),
        Column("housing", "category", nullable=True),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)
SPEC = DatasetSpec(name="bank_b", contract=CONTRACT, categorical=("housing",),
                   monotonic={"emp_years": "descending", "income": "descending"})
PLAUSIBLE = replace(SPEC, plausible={"emp_years": (0.0, 100.0)})
ABSURD = (123.0, 150.0, 999.0)


def bank_frame(n: int, seed: int, planted: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows and labels; a share ``planted`` of rows gets an absurd employment length and a
    high default rate (a data-entry path that also carries risk)."""
    rng = np.random.default_rng(seed)
    emp = np.round(rng.gamma(2.0, 5.0, n), 1)
    income = np.round(rng.lognormal(8.0, 0.5, n))
    housing = rng.choice(np.array(["rent", "own", "mortgage"], dtype=object), n)
    logit = -2.0 - 0.08 * emp - 0.4 * (np.log(income) - 8.0) + 0.3 * (housing == "rent")
    absurd = rng.random(n) < planted
    emp = np.where(absurd, rng.choice(ABSURD, n), emp)
    logit = np.where(absurd, -0.5, logit)
    emp = np.where(rng.random(n) < 0.03, np.nan, emp)
    income = np.where(rng.random(n) < 0.05, np.nan, income)
    y = (rng.random(n) < expit(logit)).astype(int)
    frame = pd.DataFrame({"uid": [f"b{i}" for i in range(n)], "bad": y.astype(float),
                          "emp_years": emp, "income": income, "housing": housing})
    return frame, y


@pytest.fixture(scope="module")
def rows() -> tuple[pd.DataFrame, np.ndarray]:
    return bank_frame(20_000, seed=3, planted=0.02)


def _rate_at(binner: WoEBinner, value: float) -> float:
    """The default rate of the regular bin holding employment length ``value``."""
    fb = binner.bins_["emp_years"]
    return float(fb.table["event_rate"].iloc[int(np.searchsorted(fb.splits, value,
                                                                  side="right"))])


def test_absurd_values_get_a_bin_of_their_own_and_leave_real_values_unbent(rows) -> None:
    X, y = rows
    real = ~X["emp_years"].isin(ABSURD).to_numpy()
    clean = WoEBinner(SPEC).fit(X[real], y[real])
    today = WoEBinner(SPEC).fit(X, y)
    ruled = WoEBinner(PLAUSIBLE).fit(X, y)
    # today the risky absurd rows are pooled with the longest real employments and bend
    # their bin (a 30-year employment looks several times riskier than on the clean rows)
    assert _rate_at(today, 30.0) > 3 * _rate_at(clean, 30.0)
    # ... with the rule they are a special bin and the real values keep the clean rate
    assert abs(_rate_at(ruled, 30.0) - _rate_at(clean, 30.0)) < 0.01
    table = ruled.bins_["emp_years"].table
    label = implausible_label(0.0, 100.0)
    row = table[table["label"] == label]
    assert len(row) == 1 and row["type"].iloc[0] == "special"
    assert int(row["count"].iloc[0]) == int((~real).sum())
    assert ruled.bins_["emp_years"].special[label] == list(ABSURD)
    assert "emp_years" not in today.implausible_


def test_the_card_scores_absurd_values_in_their_bin_and_the_selection_log_says_so(
        rows) -> None:
    X, y = rows
    card = Scorecard(PLAUSIBLE).fit(X, y)
    reason = card.selection_log_.set_index("feature").loc["emp_years", "reason"]
    assert (f"{int(X['emp_years'].isin(ABSURD).sum())} rows outside the plausible range "
            f"(123, 150, 999) scored in their own bin '{implausible_label(0.0, 100.0)}'"
            ) in reason
    artifact = card.to_artifact({}, {})
    emp = next(f for f in artifact["features"] if f["name"] == "emp_years")
    special = next(b for b in emp["bins"] if b["label"] == implausible_label(0.0, 100.0))
    scored = card.engine().score(pd.DataFrame({
        "emp_years": [123.0, 30.0, 500.0], "income": [3000.0] * 3, "housing": ["own"] * 3}))
    col = [f["name"] for f in artifact["features"]].index("emp_years")
    last_regular = max(b["index"] for b in emp["bins"] if b["type"] == "regular")
    # a known absurd value scores in its bin; one never seen falls in the last regular bin
    assert scored.bins[0, col] == special["index"]
    assert scored.bins[2, col] == last_regular
    # the real values keep a declared, monotone shape: points never fall with employment
    regular = [b["points"] for b in emp["bins"] if b["type"] == "regular"]
    assert regular == sorted(regular)


def test_too_many_distinct_implausible_values_stay_magnitudes_with_a_note() -> None:
    X, y = bank_frame(6_000, seed=4, planted=0.0)
    X.loc[:149, "emp_years"] = 200.0 + np.arange(150)
    binner = WoEBinner(PLAUSIBLE).fit(X, y)
    assert "emp_years" not in binner.implausible_codes_
    assert "150 distinct values: too many for a bin of their own, kept as magnitudes" in (
        binner.implausible_["emp_years"])
    assert not (binner.bins_["emp_years"].table["type"] == "special").any()


@pytest.mark.slow
def test_a_file_with_impossible_ages_goes_from_init_spec_to_predictions_unedited(
        tmp_path: Path) -> None:
    # the own-data path on a bank's file as it comes: an age of 144 and an employment of
    # 123 years among the rows; the inferred spec reads its own file and the card is fitted
    frame, _ = bank_frame(3_000, seed=5, planted=0.02)
    frame = frame.rename(columns={"emp_years": "person_emp_length"})
    frame.insert(2, "person_age", np.random.default_rng(5).integers(20, 70, len(frame)))
    frame.loc[[3, 40], "person_age"] = [144, 123]
    frame.loc[frame.index[-300:], "bad"] = np.nan  # the rows to predict
    data = tmp_path / "bank.csv"
    frame.to_csv(data, index=False)

    def scorecard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scorecard", *args],
                              capture_output=True, text=True, cwd=tmp_path)

    run = scorecard("init-spec", str(data), "--target", "bad", "--id", "uid")
    assert run.returncode == 0, run.stderr
    assert "person_age: an age in years; IMPLAUSIBLE: 2 row(s) above 120" in run.stdout + (
        run.stderr)
    run = scorecard("regenerate", "--spec", "bank.spec.json", "--data", str(data), "--out",
                    "out", "--no-challenger")
    assert run.returncode == 0, run.stderr
    predictions = pd.read_csv(tmp_path / "out" / "predictions.csv")
    assert len(predictions) == 300 and predictions["pd"].between(0, 1).all()
    log = pd.read_csv(tmp_path / "out" / "selection_log.csv").set_index("feature")
    assert "rows outside the plausible range" in log.loc["person_emp_length", "reason"]
