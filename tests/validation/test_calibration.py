"""Calibration metrics against scikit-learn, scipy and hand computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import brier_score_loss
from sklearn.metrics import log_loss as sk_log_loss

from validation.calibration import (
    brier,
    calibration_summary,
    expected_calibration_error,
    grade_test,
    hosmer_lemeshow,
    jeffreys_interval,
    log_loss,
    quantile_bins,
    reliability_curve,
)


def _calibrated(n: int, seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """pd from a logistic model; outcomes drawn from ``scale * pd`` (1.0 = calibrated)."""
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-(-3.5 + rng.normal(size=n))))
    y = (rng.random(n) < np.clip(scale * p, 0, 1)).astype(int)
    return y, p


@pytest.mark.parametrize("seed", [0, 1])
def test_brier_and_log_loss_match_sklearn(seed: int) -> None:
    y, p = _calibrated(5000, seed)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-15)
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), rel=1e-12)


def test_log_loss_is_clipped_and_finite() -> None:
    y = np.array([1, 0])
    p = np.array([0.0, 1.0])  # confidently wrong on both rows
    assert log_loss(y, p) == pytest.approx(-np.log(1e-15), rel=1e-4)  # 1 - 1e-15 rounds
    with pytest.raises(ValueError, match="probabilities"):
        log_loss(y, np.array([0.5, 1.5]))


def test_quantile_bins_keep_ties_together_and_are_equal_frequency() -> None:
    rng = np.random.default_rng(2)
    p = rng.random(1000)
    b = quantile_bins(p, 10)
    assert np.all(np.bincount(b) == 100)
    tied = np.round(p, 1)  # 11 distinct values
    bt = quantile_bins(tied, 10)
    for v in np.unique(tied):
        assert np.unique(bt[tied == v]).size == 1
    # bins are ordered by pd
    means = [tied[bt == k].mean() for k in np.unique(bt)]
    assert np.all(np.diff(means) > 0)


def test_ece_zero_when_every_bin_is_exact_and_matches_hand_value() -> None:
    # two pd levels, each observed exactly at its rate
    p = np.r_[np.full(100, 0.1), np.full(100, 0.3)]
    y = np.r_[np.repeat([1, 0], [10, 90]), np.repeat([1, 0], [30, 70])]
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.0, abs=1e-15)
    # shift observed rates: bin errors |0.1 - 0.2| and |0.3 - 0.3| weighted by 1/2 each
    y2 = np.r_[np.repeat([1, 0], [20, 80]), y[100:]]
    assert expected_calibration_error(y2, p, n_bins=2) == pytest.approx(0.05, abs=1e-15)


def test_reliability_curve_counts_and_jeffreys_interval() -> None:
    y, p = _calibrated(8000, 3)
    t = reliability_curve(y, p, n_bins=10)
    assert list(t.columns) == ["bin", "n", "defaults", "p_min", "p_max", "mean_pd", "observed",
                               "ci_low", "ci_high"]
    assert t["n"].sum() == y.size and t["defaults"].sum() == y.sum()
    assert np.all(np.diff(t["mean_pd"]) > 0)
    assert np.all((t["ci_low"] <= t["observed"]) & (t["observed"] <= t["ci_high"]))
    row = t.iloc[4]
    lo = stats.beta.ppf(0.025, row["defaults"] + 0.5, row["n"] - row["defaults"] + 0.5)
    assert row["ci_low"] == pytest.approx(lo, rel=1e-12)
    assert not t.isna().any().any()
    json.dumps(t.to_dict(orient="records"), allow_nan=False)


def test_jeffreys_interval_boundary_conventions() -> None:
    assert jeffreys_interval(0, 50)[0] == 0.0
    assert jeffreys_interval(50, 50)[1] == 1.0
    lo, hi = jeffreys_interval(5, 100, level=0.9)
    assert lo == pytest.approx(stats.beta.ppf(0.05, 5.5, 95.5))
    assert hi == pytest.approx(stats.beta.ppf(0.95, 5.5, 95.5))
    with pytest.raises(ValueError):
        jeffreys_interval(3, 2)


def test_hosmer_lemeshow_calibrated_vs_miscalibrated() -> None:
    # Calibrated data must pass in (nearly) every replication; a fixed list of seeds keeps
    # the test deterministic while not resting on one lucky draw.
    passes = [hosmer_lemeshow(*_calibrated(20000, s)).p_value > 0.01 for s in range(10, 20)]
    assert sum(passes) >= 9
    res = hosmer_lemeshow(*_calibrated(20000, 30, scale=1.4))
    assert res.p_value < 1e-6
    assert res.dof == 8 and res.n_groups == 10
    assert hosmer_lemeshow(*_calibrated(20000, 30), dof_reduction=0).dof == 10


def test_hosmer_lemeshow_statistic_by_hand() -> None:
    y, p = _calibrated(3000, 4)
    b = quantile_bins(p, 10)
    stat = 0.0
    for k in np.unique(b):
        o, e, n = y[b == k].sum(), p[b == k].sum(), (b == k).sum()
        stat += (o - e) ** 2 / (e * (1 - e / n))
    res = hosmer_lemeshow(y, p)
    assert res.statistic == pytest.approx(stat, rel=1e-12)
    assert res.p_value == pytest.approx(stats.chi2.sf(stat, 8), rel=1e-12)


def test_grade_test_values_and_flags() -> None:
    # 1000 rows per grade with exactly the expected number of defaults, except grade D,
    # which defaults at 15 % while its pd says 5 %
    true_pd = {"A": 0.005, "B": 0.02, "C": 0.05, "D": 0.15}
    grades = np.repeat(list(true_pd), 1000)
    y = np.concatenate([np.repeat([1, 0], [round(1000 * q), 1000 - round(1000 * q)])
                        for q in true_pd.values()])
    p = np.vectorize(true_pd.get)(grades)
    p[grades == "D"] = 0.05
    t = grade_test(y, p, grades, order=["A", "B", "C", "D", "E"])
    assert list(t["grade"]) == ["A", "B", "C", "D"]  # empty grade E omitted
    assert list(t["defaults"]) == [5, 20, 50, 150]
    d = t.set_index("grade").loc["D"]
    assert bool(d["underestimated"]) and bool(d["outside_interval"])
    assert d["binomial_p_value"] < 1e-6 and d["jeffreys_p_value"] < 1e-6
    exp = stats.binom.sf(d["defaults"] - 1, d["n"], 0.05)
    assert d["binomial_p_value"] == pytest.approx(exp, rel=1e-10)
    ok = t.set_index("grade").loc[["A", "B", "C"]]
    assert not ok["outside_interval"].any()
    assert (ok["binomial_p_value"] > 0.3).all()  # observed == expected: P(X >= E[X]) ~ 1/2
    # an overestimated pd is outside the interval but not "underestimated"
    t_over = grade_test(y, np.where(grades == "A", 0.05, p), grades).set_index("grade")
    assert bool(t_over.loc["A", "outside_interval"]) and not t_over.loc["A", "underestimated"]
    # testing a supplied grade pd instead of the mean row pd
    t2 = grade_test(y, p, grades, grade_pd=true_pd)
    assert not t2["outside_interval"].any()
    with pytest.raises(ValueError, match="not in order"):
        grade_test(y, p, grades, order=["A", "B"])


def test_calibration_summary_is_json_clean_and_deterministic() -> None:
    y, p = _calibrated(5000, 6)
    a = calibration_summary(y, p).to_dict()
    assert a == calibration_summary(y, p).to_dict()
    json.dumps(a, allow_nan=False)
    assert a["mean_pd"] == pytest.approx(p.mean())
    assert a["binomial_p_value"] > 0.01
    y_bad, p_bad = _calibrated(5000, 6, scale=1.5)
    assert calibration_summary(y_bad, p_bad).binomial_p_value < 1e-4


def test_the_default_is_ten_bins_and_a_single_bin_is_allowed() -> None:
    p = np.arange(100) / 100
    assert quantile_bins(p).tolist() == (np.arange(100) // 10).tolist()
    assert quantile_bins(p, 1).tolist() == [0] * 100
    with pytest.raises(ValueError, match="n_bins must be >= 1"):
        quantile_bins(p, 0)


def test_calibration_in_the_large_is_the_continuity_corrected_normal_tail() -> None:
    # 100 rows at pd 0.1: mean 10 defaults, sd 3; 15 defaults -> P(Z >= (14.5 - 10) / 3).
    y = np.r_[np.ones(15, dtype=int), np.zeros(85, dtype=int)]
    summary = calibration_summary(y, np.full(100, 0.1))
    assert (summary.n, summary.defaults, summary.default_rate) == (100, 15, 0.15)
    got = summary.binomial_p_value
    assert got == pytest.approx(stats.norm.sf(1.5), rel=1e-12)
    assert got == pytest.approx(0.0668072, abs=1e-7)


def test_calibration_in_the_large_of_certain_pds_is_zero_or_one() -> None:
    # every pd exactly 0 or 1: no variance; at or below the expected count is p = 1.
    assert calibration_summary(np.ones(5, dtype=int), np.ones(5)).binomial_p_value == 1.0
    assert calibration_summary(np.zeros(5, dtype=int), np.zeros(5)).binomial_p_value == 1.0
    y = np.array([1, 0, 0])
    assert calibration_summary(y, np.zeros(3)).binomial_p_value == 0.0


def test_a_grade_backtest_row_is_the_written_out_binomial_and_jeffreys_figures() -> None:
    # 40 rows, 3 defaults, predicted 5 %: P(X >= 3) = 1 - sum_{k<3} C(40, k) .05^k .95^(40-k).
    y = np.r_[np.ones(3, dtype=int), np.zeros(37, dtype=int)]
    row = grade_test(y, np.full(40, 0.05), np.full(40, "A")).iloc[0]
    tail = 1 - sum(math.comb(40, k) * 0.05**k * 0.95 ** (40 - k) for k in range(3))
    assert row["observed"] == 3 / 40
    assert row["predicted"] == pytest.approx(0.05, rel=1e-15)
    assert row["binomial_p_value"] == pytest.approx(tail, rel=1e-10)
    assert row["binomial_p_value"] == pytest.approx(0.3233, abs=1e-4)
    assert row["jeffreys_p_value"] == pytest.approx(stats.beta.cdf(0.05, 3.5, 37.5), rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == jeffreys_interval(3, 40)


def test_a_grade_pd_exactly_on_an_interval_bound_is_inside_it() -> None:
    y = np.r_[np.ones(3, dtype=int), np.zeros(37, dtype=int)]
    grades = np.full(40, "A")
    lo, hi = jeffreys_interval(3, 40)
    for bound in (lo, hi):
        row = grade_test(y, np.full(40, 0.05), grades, grade_pd={"A": bound}).iloc[0]
        assert not row["outside_interval"] and not row["underestimated"], bound


def test_hosmer_lemeshow_skips_a_group_of_certain_pds() -> None:
    # 50 rows at pd exactly 0 (no defaults: no variance, no information) and 50 at 0.2 with
    # 13 defaults: one informative group, (13 - 10)^2 / (10 * 0.8) = 1.125 on 1 dof.
    y = np.r_[np.zeros(50, dtype=int), np.ones(13, dtype=int), np.zeros(37, dtype=int)]
    p = np.r_[np.zeros(50), np.full(50, 0.2)]
    res = hosmer_lemeshow(y, p, n_groups=2, dof_reduction=0)
    assert res.n_groups == 1 and res.dof == 1
    assert res.statistic == pytest.approx(1.125, rel=1e-12)
    assert res.p_value == pytest.approx(stats.chi2.sf(1.125, 1), rel=1e-12)


def test_outcomes_and_pds_must_be_one_dimensional_of_the_same_shape() -> None:
    for y, p in (([0, 1, 1], [0.1, 0.2]),  # shapes differ
                 ([[0, 1], [1, 0]], [[0.1, 0.2], [0.3, 0.4]])):  # same shape, but 2-D
        with pytest.raises(ValueError, match="1-D of the same shape"):
            brier(np.array(y), np.array(p))
