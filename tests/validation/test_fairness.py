"""The fair-lending statistics against independent computations: hand-computed ratios,
statsmodels' two-proportion test, a brute-force O(n^2) DeLong and scipy's beta quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from validation.fairness import (
    adverse_impact,
    group_calibration,
    group_figures,
    point_gaps,
    standardised_mean_difference,
    two_proportion_test,
)


def _rows(approved_a: int, n_a: int, approved_b: int, n_b: int) -> tuple[np.ndarray, ...]:
    labels = np.array(["A"] * n_a + ["B"] * n_b, dtype=object)
    approved = np.array([True] * approved_a + [False] * (n_a - approved_a)
                        + [True] * approved_b + [False] * (n_b - approved_b))
    score = np.where(approved, 650.0, 580.0)
    return score, approved, labels


def test_the_adverse_impact_ratio_is_the_approval_rate_over_the_reference_rate() -> None:
    # A: 80 of 100 approved, B: 30 of 60 -> 0.5 / 0.8
    fig = group_figures(*_rows(80, 100, 30, 60), min_rows=10)
    b = next(g for g in fig["groups"] if g["group"] == "B")
    assert fig["reference"] == "A"  # the highest approval rate
    assert b["approval_rate"] == pytest.approx(0.5)
    assert b["air"]["ratio"] == pytest.approx(0.625)
    assert b["air"]["flag"] and fig["flagged"] == ["B"]


def test_the_two_proportion_test_matches_statsmodels() -> None:
    ours = two_proportion_test(30, 60, 80, 100)
    z, p = proportions_ztest([30, 80], [60, 100], alternative="smaller")
    assert ours["z"] == pytest.approx(z)
    assert ours["p_value"] == pytest.approx(p)
    pooled = 110 / 160  # by hand
    assert ours["z"] == pytest.approx((0.5 - 0.8) / math.sqrt(pooled * (1 - pooled)
                                                              * (1 / 60 + 1 / 100)))


def test_a_small_group_below_the_ratio_is_not_flagged_on_noise() -> None:
    # 2 of 4 approved against 80 %: ratio 0.625, but four rows prove nothing at alpha 0.05
    r = adverse_impact(2, 4, 80, 100)
    assert r["ratio"] == pytest.approx(0.625) and r["below_threshold"]
    assert r["p_value"] > 0.05 and not r["flag"]


def test_a_group_below_the_minimum_rows_is_reported_not_tested() -> None:
    fig = group_figures(*_rows(80, 100, 1, 8), min_rows=10)
    b = next(g for g in fig["groups"] if g["group"] == "B")
    assert b["tested"] is False and "air" not in b and fig["flagged"] == []
    assert b["n"] == 8 and b["approval_rate"] == pytest.approx(1 / 8)


def test_a_reference_that_does_not_occur_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'C' does not occur"):
        group_figures(*_rows(80, 100, 30, 60), reference="C", min_rows=10)


def test_a_named_reference_is_used_even_when_another_group_is_approved_more() -> None:
    fig = group_figures(*_rows(80, 100, 30, 60), reference="B", min_rows=10)
    a = next(g for g in fig["groups"] if g["group"] == "A")
    assert a["air"]["ratio"] == pytest.approx(1.6) and fig["flagged"] == []


def test_the_standardised_mean_difference_uses_the_average_variance() -> None:
    g, r = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 4.0, 6.0, 8.0])
    # means 2.5 and 5; sample variances 5/3 and 20/3
    expected = (2.5 - 5.0) / math.sqrt((5 / 3 + 20 / 3) / 2)
    assert standardised_mean_difference(g, r) == pytest.approx(expected)
    assert standardised_mean_difference(np.ones(3), np.ones(4)) is None


def _brute_force_delong(y: np.ndarray, risk: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong variance from the O(n^2) placement values (DeLong et al. 1988)."""
    bad, good = risk[y == 1], risk[y == 0]
    psi = np.array([[1.0 if b > g else 0.5 if b == g else 0.0 for g in good] for b in bad])
    auc = psi.mean()
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / bad.size + v01.var(ddof=1) / good.size
    return float(auc), float(var)


def test_the_per_group_auc_matches_a_brute_force_delong() -> None:
    rng = np.random.default_rng(5)
    n = 60
    labels = np.array(["A"] * 30 + ["B"] * 30, dtype=object)
    y = (rng.random(n) < 0.3).astype(float)
    score = np.round(600 - 40 * y + rng.normal(0, 30, n))  # ties included
    fig = group_figures(score, score >= 600, labels, pd=np.full(n, 0.3), y=y, min_rows=10)
    for g in fig["groups"]:
        m = labels == g["group"]
        auc, var = _brute_force_delong(y[m].astype(int), -score[m])  # higher score = safer
        assert g["auc"]["auc"] == pytest.approx(auc)
        assert g["auc"]["variance"] == pytest.approx(var)
        half = stats.norm.ppf(0.975) * math.sqrt(var)
        assert g["auc"]["ci_low"] == pytest.approx(max(auc - half, 0.0))


def test_rows_without_an_outcome_are_left_out_of_auc_and_calibration() -> None:
    score, approved, labels = _rows(80, 100, 30, 60)
    y = np.where(np.arange(160) % 4 == 0, 1.0, 0.0)
    y[::7] = np.nan
    fig = group_figures(score, approved, labels, pd=np.full(160, 0.2), y=y, min_rows=10)
    a = next(g for g in fig["groups"] if g["group"] == "A")
    known = np.isfinite(y[:100])
    assert a["calibration"]["n"] == int(known.sum())
    assert a["calibration"]["defaults"] == int(np.nansum(y[:100]))


def test_group_calibration_uses_the_jeffreys_interval() -> None:
    y = np.array([1] * 7 + [0] * 193)
    c = group_calibration(y, np.full(200, 0.01))
    assert c["default_rate"] == pytest.approx(7 / 200)
    assert c["ci_low"] == pytest.approx(stats.beta.ppf(0.025, 7.5, 193.5))
    assert c["ci_high"] == pytest.approx(stats.beta.ppf(0.975, 7.5, 193.5))
    assert c["outside_interval"]  # 1 % is below the interval of 3.5 %
    assert not group_calibration(y, np.full(200, 0.035))["outside_interval"]


def test_point_gaps_put_the_largest_loss_first() -> None:
    points = np.array([[10, 5, 1], [10, 7, 1], [0, 6, 2], [2, 6, 2]])
    in_g = np.array([False, False, True, True])
    gaps = point_gaps(points, ["x", "y", "z"], in_g, ~in_g)
    assert [g["characteristic"] for g in gaps] == ["x", "y", "z"]
    assert gaps[0]["gap"] == pytest.approx(1.0 - 10.0)
    assert gaps[1]["gap"] == pytest.approx(0.0) and gaps[2]["gap"] == pytest.approx(1.0)


def test_age_bands_are_listed_in_age_order() -> None:
    labels = np.array(["65+", "25-34", "<18", "18-24"] * 20, dtype=object)
    fig = group_figures(np.arange(80.0), np.ones(80, dtype=bool), labels, min_rows=5)
    assert [g["group"] for g in fig["groups"]] == ["<18", "18-24", "25-34", "65+"]
