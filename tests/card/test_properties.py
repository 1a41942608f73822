"""Properties of the scoring engine on the committed card, over generated applicants.

Rows start from generated data (``generate``, never the shared real rows) and hypothesis
replaces some of their values with any value the data contract accepts (missing included),
so every bin, special code and boundary of the card is reachable. Checked against the
artifact itself, not against the engine's own helpers:

* the bin of every value follows the published splits / category groups, its points are
  the bin's points, the score is their sum and pd is the published scaling of the score;
* pd is finite and strictly inside (0, 1);
* reason codes: codes of the card, ``points_lost = attainable - points > 0``, in descending
  loss (card order on ties), and no characteristic left out loses more than one listed;
* scoring a batch equals scoring each row alone, bit for bit;
* monotonicity: for every numeric characteristic with an ascending/descending trend, moving
  a value in the riskier direction never lowers pd.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorecard.card.artifact import load_artifact
from scorecard.card.engine import UNSEEN, ScoringEngine
from scorecard.card.reasons import reason_details
from scorecard.card.scaling import Scaling
from scorecard.data.contract import Column
from tests.support.builders import card_splits, generated_rows
from tests.support.strategies import FEATURES, applicants, valid_value

N_BASE = 2_000
FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def artifact(artifact_path: Path) -> dict[str, Any]:
    return load_artifact(artifact_path)


@pytest.fixture(scope="module")
def engine(artifact: dict[str, Any]) -> ScoringEngine:
    return ScoringEngine(artifact)


@pytest.fixture(scope="module")
def splits(artifact: dict[str, Any]) -> dict[str, list[float]]:
    return card_splits(artifact)


@pytest.fixture(scope="module")
def base_rows() -> list[dict[str, Any]]:
    return generated_rows()


def _columns(engine: ScoringEngine, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [r[name] for r in rows] for name in engine.features_}


def _expected_bin(feature: dict[str, Any], value: Any) -> int:
    """The bin the published card puts ``value`` in, read off the artifact."""
    bins = feature["bins"]
    missing = next(b["index"] for b in bins if b["type"] == "missing")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if feature["kind"] == "numeric":
        for b in bins:
            if b["type"] == "special" and float(value) in b["codes"]:
                return int(b["index"])
        # bin i holds splits[i-1] <= x < splits[i]
        return sum(1 for s in feature["splits"] if float(value) >= s)
    key = ("True" if value else "False") if isinstance(value, bool) else str(value)
    for b in bins:
        if b["type"] == "regular" and key in b["categories"]:
            return int(b["index"])
    return UNSEEN


@FAST
@given(data=st.data())
def test_score_is_the_card_read_by_hand(engine: ScoringEngine, artifact: dict[str, Any],
                                        base_rows: list[dict[str, Any]],
                                        splits: dict[str, list[float]],
                                        data: st.DataObject) -> None:
    rows = data.draw(st.lists(applicants(base_rows, splits), min_size=1, max_size=12))
    result = engine.score(_columns(engine, rows))
    scaling = Scaling.from_dict(artifact["scaling"])
    offset, factor = artifact["scaling"]["offset"], artifact["scaling"]["factor"]
    for i, row in enumerate(rows):
        for j, f in enumerate(artifact["features"]):
            b = _expected_bin(f, row[f["name"]])
            assert result.bins[i, j] == b, (f["name"], row[f["name"]])
            points = f["unseen_points"] if b == UNSEEN else f["bins"][b]["points"]
            assert result.points[i, j] == points
        assert result.score[i] == result.points[i].sum()
        pd_i = float(result.pd[i])
        assert math.isfinite(pd_i) and 0.0 < pd_i < 1.0
        assert pd_i == float(scaling.pd(int(result.score[i])))  # exactly, as published
        assert pd_i == pytest.approx(1 / (1 + math.exp((int(result.score[i]) - offset)
                                                        / factor)), rel=1e-12)


@FAST
@given(data=st.data())
def test_reason_codes_are_consistent_with_points(engine: ScoringEngine,
                                                 artifact: dict[str, Any],
                                                 base_rows: list[dict[str, Any]],
                                                 splits: dict[str, list[float]],
                                                 data: st.DataObject) -> None:
    row = data.draw(applicants(base_rows, splits))
    top = data.draw(st.integers(1, len(engine.features_)))
    result = engine.score(_columns(engine, [row]))
    codes = {f["reason_code"]: f["name"] for f in artifact["features"]}
    reasons = reason_details(engine, result, 0, row, top=top)
    lost_all = {name: int(engine.max_points_[j] - result.points[0, j])
                for j, name in enumerate(engine.features_)}
    assert len(reasons) <= top
    assert len({r["code"] for r in reasons}) == len(reasons)
    for r in reasons:
        assert codes[r["code"]] == r["characteristic"]
        assert r["points_lost"] == r["attainable"] - r["points"] > 0
        assert r["points_lost"] == lost_all[r["characteristic"]]
        assert r["value"] == row[r["characteristic"]]
    losses = [r["points_lost"] for r in reasons]
    assert losses == sorted(losses, reverse=True)
    for a, b in itertools.pairwise(reasons):  # ties keep card order
        if a["points_lost"] == b["points_lost"]:
            assert (engine.features_.index(a["characteristic"])
                    < engine.features_.index(b["characteristic"]))
    listed = {r["characteristic"] for r in reasons}
    left_out = [v for k, v in lost_all.items() if k not in listed and v > 0]
    if left_out:
        assert len(reasons) == top and max(left_out) <= min(losses)
    # Every seen value scores at most its characteristic's attainable points.
    for j in range(len(engine.features_)):
        if result.bins[0, j] != UNSEEN:
            assert result.points[0, j] <= engine.max_points_[j]


@FAST
@given(data=st.data())
def test_batch_equals_single(engine: ScoringEngine, base_rows: list[dict[str, Any]],
                             splits: dict[str, list[float]], data: st.DataObject) -> None:
    rows = data.draw(st.lists(applicants(base_rows, splits), min_size=2, max_size=16))
    batch = engine.score(_columns(engine, rows))
    for i, row in enumerate(rows):
        one = engine.score(_columns(engine, [row]))
        assert np.array_equal(one.bins[0], batch.bins[i])
        assert np.array_equal(one.points[0], batch.points[i])
        assert one.score[0] == batch.score[i]
        assert one.pd[0].tobytes() == batch.pd[i].tobytes()


def _trended(artifact: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["name"], f["trend"]) for f in artifact["features"]
            if f["kind"] == "numeric" and f.get("trend") in ("ascending", "descending")]


def test_the_card_has_trended_characteristics(artifact: dict[str, Any]) -> None:
    assert len(_trended(artifact)) >= 3  # else the monotonicity property tests nothing


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_riskier_value_never_lowers_pd(engine: ScoringEngine, artifact: dict[str, Any],
                                       base_rows: list[dict[str, Any]],
                                       data: st.DataObject) -> None:
    name, trend = data.draw(st.sampled_from(_trended(artifact)))
    col = FEATURES[name]
    feature = next(f for f in artifact["features"] if f["name"] == name)
    specials = {c for b in feature["bins"] if b["type"] == "special" for c in b["codes"]}
    value = valid_value(Column(col.name, col.kind, False, col.min, col.max, col.max_exclusive,
                               col.allowed)).filter(lambda v: v not in specials)
    a, b = sorted([data.draw(value), data.draw(value)])
    row = dict(base_rows[data.draw(st.integers(0, len(base_rows) - 1))])
    low, high = dict(row, **{name: a}), dict(row, **{name: b})
    pd_low, pd_high = engine.score(_columns(engine, [low, high])).pd
    if trend == "ascending":  # risk rises with the value
        assert pd_high >= pd_low, (name, a, b)
    else:
        assert pd_low >= pd_high, (name, a, b)
