"""Interaction characteristics in the joint card: a pair whose risk is not additive is found,
binned in 2D and published as a points grid the engine scores as the pipeline does; on an
additive truth no pair pays and the selection log says why for every pair considered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from scorecard.card.artifact import verify
from scorecard.card.engine import ScoringEngine
from scorecard.data.contract import Column, Contract
from scorecard.fit.estimator import Scorecard
from scorecard.fit.interactions import MIN_GAIN
from scorecard.fit.spec import DatasetSpec

CONTRACT = Contract(
    name="pairs",
    columns=(
        Column("uid", "id", csv_format="text"),
        Column("bad", "target", allowed=(0, 1)),
        Column("a", "numeric", nullable=True, min=-9, max=100),
        Column("b", "numeric", min=0, max=100),
        Column("c", "numeric", min=0, max=100),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)
JOINT = {"method": "joint"}  # the rest from the one table of method defaults


def _spec(interactions: str) -> DatasetSpec:
    return DatasetSpec(name="pairs", contract=CONTRACT,
                       special_codes={"a": {"no record (-9)": [-9]}},
                       interactions=interactions)


def _frame(n: int, seed: int, crossed: bool) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b, c = (np.round(rng.uniform(0, 100, n)) for _ in range(3))
    # Risky only where a and b are both high (crossed), or a sum of main effects.
    logit = (-2.0 + 2.5 * ((a > 50) & (b > 50)) if crossed
             else -2.0 + 0.02 * a + 0.015 * b) + 0.01 * c
    y = (rng.random(n) < expit(logit)).astype(int)
    a = np.where(rng.random(n) < 0.05, -9.0, a)
    a = np.where(rng.random(n) < 0.05, np.nan, a)
    return pd.DataFrame({"uid": [f"u{i}" for i in range(n)], "a": a, "b": b, "c": c}), y


@pytest.fixture(scope="module")
def crossed() -> tuple[Scorecard, pd.DataFrame, np.ndarray]:
    X, y = _frame(8_000, 1, crossed=True)
    return Scorecard(_spec("auto"), **JOINT).fit(X, y), X, y


def test_a_crossed_pair_becomes_a_points_grid(crossed) -> None:
    card, X, _ = crossed
    assert [p.name for p in card.interactions_] == ["a_x_b"]
    artifact = verify(card.to_artifact({}, {}))
    f = artifact["features"][-1]
    assert f["kind"] == "interaction" and f["reason_code"] == "R01x02"
    assert [p["name"] for p in f["parents"]] == ["a", "b"]
    grid = np.asarray(f["grid"])
    assert grid.shape == tuple(len(p["bins"]) for p in f["parents"])
    # The high-high corner is the riskiest: its fewest points sit there, far below low-low.
    n_x = len(f["parents"][0]["splits"]) + 1
    n_y = len(f["parents"][1]["splits"]) + 1
    i, j = np.unravel_index(np.argmin(grid[:n_x, :n_y]), (n_x, n_y))
    assert i > 0 and j > 0 and grid[n_x - 1, n_y - 1] < grid[0, 0] - 20
    assert sum(b["count"] for b in f["bins"]) == len(X)
    log = card.selection_log_.set_index("feature")
    assert log.loc["a_x_b", "decision"] == "in" and log.loc["a_x_b", "step"] == "interaction"


def test_the_engine_scores_the_grid_as_the_pipeline(crossed) -> None:
    card, X, _ = crossed
    result = ScoringEngine(card.to_artifact({}, {})).score(X)
    np.testing.assert_array_equal(result.points, card.pipeline_points(X))


def test_the_pair_pays_on_the_holdout(crossed) -> None:
    card, _, _ = crossed
    X, y = _frame(8_000, 2, crossed=True)
    without = Scorecard(_spec("none"), **JOINT).fit(*_frame(8_000, 1, crossed=True))
    from validation.calibration import log_loss

    assert log_loss(y, card.predict_proba(X)[:, 1]) < log_loss(
        y, without.predict_proba(X)[:, 1]) - MIN_GAIN


def test_no_pair_pays_on_an_additive_truth_and_the_log_says_why() -> None:
    X, y = _frame(8_000, 3, crossed=False)
    card = Scorecard(_spec("auto"), **JOINT).fit(X, y)
    assert card.interactions_ == []
    pairs = card.selection_log_[card.selection_log_["step"] == "interaction"]
    assert len(pairs) == 3 and (pairs["decision"] == "out").all()
    assert pairs["reason"].str.contains("gain|2D bin").all()
    assert all(f["kind"] != "interaction" for f in card.to_artifact({}, {})["features"])
    none = Scorecard(_spec("none"), **JOINT).fit(X, y)
    assert (none.selection_log_["step"] != "interaction").all()


def test_the_spec_setting_reads_back_and_refuses_a_typo(tmp_path) -> None:
    import json

    from scorecard.fit.spec import KLARNA_SPEC, SpecError, load_spec

    assert "interactions" not in KLARNA_SPEC.to_dict()  # default: cards keep their hash
    raw = {**KLARNA_SPEC.to_dict(), "interactions": "auto"}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(raw))
    spec = load_spec(str(path))
    assert spec.interactions == "auto" and spec.to_dict()["interactions"] == "auto"
    path.write_text(json.dumps({**raw, "interactions": "yes"}))
    with pytest.raises(SpecError, match="interactions must be one of"):
        load_spec(str(path))
