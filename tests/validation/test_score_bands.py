"""The score-band (cut-off) table of the validation report: every band's counts add up, the
cumulative approval and capture figures follow the cut-off semantics, empty bands drop out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scorecard.card.grades import MasterScale, Scaling
from validation.score_bands import score_band_table


def _portfolio(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = np.round(600 + 25 * rng.normal(size=n))
    pd_ = Scaling().pd(score)
    return (rng.random(n) < pd_).astype(int), score


@pytest.mark.parametrize("bands", ["scale", 10, [560.0, 600.0, 640.0]])
def test_score_band_table(bands: object) -> None:
    y, score = _portfolio(20000, 1)
    b = MasterScale.from_pd_ladder() if bands == "scale" else bands
    t = score_band_table(y, score, b)  # type: ignore[arg-type]
    assert t["n"].sum() == y.size and t["defaults"].sum() == y.sum()
    assert t["cum_share"].iloc[-1] == pytest.approx(1.0)
    assert t["cum_defaults"].iloc[-1] == pytest.approx(1.0)
    assert t["captured_defaults"].iloc[0] == pytest.approx(1.0)
    assert t["reject_share"].iloc[0] == pytest.approx(1.0)
    assert t["cum_default_rate"].iloc[-1] == pytest.approx(y.mean())
    for col in ("cum_share", "cum_defaults"):
        assert np.all(np.diff(t[col]) > 0)
    assert np.all(np.diff(t["score_max"]) < 0)  # best band first
    assert (t["cutoff"] <= t["score_min"]).all()
    # cut-off semantics: approving score >= cutoff of row k approves exactly cum_share[k]
    for _, row in t.iterrows():
        approved = score >= row["cutoff"]
        assert approved.mean() == pytest.approx(row["cum_share"])
        rejected = score <= row["score_max"]  # this band and every worse one
        assert y[rejected].sum() / y.sum() == pytest.approx(row["captured_defaults"])
        assert y[rejected].mean() == pytest.approx(row["reject_precision"])
    # with a calibrated score, default rates fall as bands improve
    assert t["default_rate"].iloc[0] < t["default_rate"].iloc[-1]
    assert not t.isna().any().any()
    json.dumps(t.to_dict(orient="records"), allow_nan=False)


def test_score_band_table_drops_empty_bands() -> None:
    y = np.array([0, 1, 0, 0])
    score = np.array([700.0, 550.0, 690.0, 610.0])
    t = score_band_table(y, score, MasterScale.from_pd_ladder())
    assert t["band"].tolist() == ["A", "D", "G"]
    assert t["n"].tolist() == [2, 1, 1]
    assert t["cutoff"].iloc[-1] == pytest.approx(MasterScale.from_pd_ladder().score_cuts[6])
