"""Discrimination metrics against scikit-learn, scipy and brute-force definitions."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from validation.discrimination import (
    MAX_CURVE_POINTS,
    cap_curve,
    delong_auc,
    delong_test,
    discrimination_summary,
    gini,
    ks_curve,
    ks_statistic,
    roc_auc,
    roc_curve,
)


def _data(n: int, seed: int, ties: bool = False, rate: float = 0.2) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(np.log(rate / (1 - rate)) + 1.5 * x)))).astype(int)
    s = x + rng.normal(scale=0.8, size=n)
    if ties:
        s = np.round(s * 2) / 2  # few distinct values: many bad/good ties
    return y, s


def _brute_delong(y: np.ndarray, risks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """O(n^2) DeLong: Mann-Whitney kernel placements, unbiased covariances."""
    pos, neg = y == 1, y == 0
    m, n = pos.sum(), neg.sum()
    v10, v01, aucs = [], [], []
    for r in risks:
        x, z = r[pos][:, None], r[neg][None, :]
        psi = (x > z).astype(float) + 0.5 * (x == z)
        aucs.append(psi.mean())
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    cov = np.atleast_2d(np.cov(np.array(v10))) / m + np.atleast_2d(np.cov(np.array(v01))) / n
    return np.array(aucs), cov


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn(seed: int, ties: bool) -> None:
    y, s = _data(3000, seed, ties)
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    # points: higher is safer, so the AUC of -s ranks identically
    assert roc_auc(y, -s, higher_is_riskier=False) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert gini(y, s) == pytest.approx(2 * roc_auc_score(y, s) - 1, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(-3, 3)), min_size=2, max_size=40).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_roc_auc_property_small_tied_samples(rows: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert delong_auc(y, s).auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [3, 4, 5])
def test_delong_variance_matches_brute_force(seed: int, ties: bool) -> None:
    y, s = _data(300, seed, ties)
    auc, cov = _brute_delong(y, [s])
    res = delong_auc(y, s)
    assert res.auc == pytest.approx(auc[0], abs=1e-12)
    assert res.variance == pytest.approx(cov[0, 0], rel=1e-10)
    z = stats.norm.ppf(0.975)
    assert res.ci_low == pytest.approx(auc[0] - z * np.sqrt(cov[0, 0]), abs=1e-12)
    assert res.ci_high == pytest.approx(auc[0] + z * np.sqrt(cov[0, 0]), abs=1e-12)
    assert res.n_bad + res.n_good == res.n == 300


@pytest.mark.parametrize("seed", [6, 7])
def test_delong_paired_test_matches_brute_force(seed: int) -> None:
    y, s = _data(250, seed, ties=True)
    rng = np.random.default_rng(seed + 100)
    s2 = s + rng.normal(scale=1.0, size=s.size)
    auc, cov = _brute_delong(y, [s, s2])
    res = delong_test(y, s, s2)
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    assert res.difference == pytest.approx(auc[0] - auc[1], abs=1e-12)
    assert res.variance == pytest.approx(var, rel=1e-9)
    assert res.z == pytest.approx((auc[0] - auc[1]) / np.sqrt(var), rel=1e-9)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(res.z)), rel=1e-9)


def test_delong_identical_models_give_p_one() -> None:
    y, s = _data(2000, 8)
    res = delong_test(y, s, s)
    assert res.difference == 0.0
    assert res.z == 0.0
    assert res.p_value == 1.0
    # points and their pd are the same ranking in opposite orientations
    res2 = delong_test(y, -s, 1 / (1 + np.exp(-s)), higher_is_riskier_a=False)
    assert res2.p_value == pytest.approx(1.0)
    assert res2.difference == pytest.approx(0.0, abs=1e-15)


def test_delong_detects_a_real_difference_and_not_noise() -> None:
    y, s = _data(5000, 9)
    rng = np.random.default_rng(10)
    weak = s + rng.normal(scale=3.0, size=s.size)
    strong = delong_test(y, s, weak)
    assert strong.difference > 0 and strong.p_value < 1e-6
    assert strong.ci_low > 0
    # two equally good noisy versions: the test should not reject at 1 %
    a = s + rng.normal(scale=0.5, size=s.size)
    b = s + rng.normal(scale=0.5, size=s.size)
    assert delong_test(y, a, b).p_value > 0.01


def test_delong_p_values_roughly_uniform_under_null() -> None:
    # 200 replications of two equally informative models: rejection rate near 5 %
    rng = np.random.default_rng(11)
    rejections = 0
    for _ in range(200):
        x = rng.normal(size=400)
        y = (rng.random(400) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
        a = x + rng.normal(size=400)
        b = x + rng.normal(size=400)
        rejections += delong_test(y, a, b).p_value < 0.05
    assert 2 <= rejections <= 22  # Binomial(200, 0.05): mean 10, sd ~3


def test_ks_matches_scipy_two_sample_statistic() -> None:
    for ties in (False, True):
        y, s = _data(4000, 12, ties)
        res = ks_statistic(y, s)
        expected = stats.ks_2samp(s[y == 1], s[y == 0]).statistic
        assert res.ks == pytest.approx(expected, abs=1e-12)
        flagged = s >= res.threshold
        assert res.bad_rate == pytest.approx(flagged[y == 1].mean())
        assert res.good_rate == pytest.approx(flagged[y == 0].mean())
        assert res.population_share == pytest.approx(flagged.mean())


def test_ks_threshold_in_points_orientation() -> None:
    y, s = _data(4000, 13, ties=True)
    points = 600 - 20 * s  # higher points = safer
    res = ks_statistic(y, points, higher_is_riskier=False)
    assert res.ks == pytest.approx(ks_statistic(y, s).ks, abs=1e-12)
    flagged = points <= res.threshold
    assert res.bad_rate - res.good_rate == pytest.approx(res.ks)
    assert res.bad_rate == pytest.approx(flagged[y == 1].mean())


def test_roc_curve_matches_sklearn_when_not_downsampled() -> None:
    y, s = _data(3000, 14, ties=True)
    curve = roc_curve(y, s)
    fpr, tpr, thr = sk_roc_curve(y, s, drop_intermediate=False)
    assert len(curve.fpr) == len(fpr)  # fewer distinct values than the point budget
    np.testing.assert_allclose(curve.fpr, fpr)
    np.testing.assert_allclose(curve.tpr, tpr)
    np.testing.assert_allclose(curve.threshold[1:], thr[1:])
    assert curve.auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_curves_are_downsampled_monotone_and_json_clean() -> None:
    y, s = _data(20000, 15)
    roc = roc_curve(y, s)
    cap = cap_curve(y, s)
    ksc = ks_curve(y, s)
    for xs, ys in ((roc.fpr, roc.tpr), (cap.population_share, cap.bads_captured),
                   (ksc.cum_good, ksc.cum_bad)):
        assert len(xs) <= MAX_CURVE_POINTS + 3
        assert (xs[0], ys[0]) == (0.0, 0.0) and (xs[-1], ys[-1]) == (1.0, 1.0)
        assert np.all(np.diff(xs) >= 0) and np.all(np.diff(ys) >= 0)
    # the KS point is on the KS curve
    gaps = np.array(ksc.cum_bad) - np.array(ksc.cum_good)
    assert gaps.max() == pytest.approx(ksc.ks.ks)
    assert roc.auc == pytest.approx(roc_auc(y, s), abs=1e-12)
    for obj in (roc, cap, ksc, discrimination_summary(y, s), delong_test(y, s, -s)):
        text = json.dumps(obj.to_dict(), allow_nan=False)
        assert "NaN" not in text
    assert roc.to_dict()["threshold"][0] is None  # the (0, 0) point's +inf


@pytest.mark.parametrize("ties", [False, True])
def test_accuracy_ratio_equals_gini(ties: bool) -> None:
    y, s = _data(5000, 16, ties)
    assert cap_curve(y, s).accuracy_ratio == pytest.approx(gini(y, s), abs=1e-10)
    # perfect ranking: AR = 1
    assert cap_curve(y, y + 0.0).accuracy_ratio == pytest.approx(1.0)


def test_deterministic_and_row_order_invariant() -> None:
    y, s = _data(3000, 17, ties=True)
    perm = np.random.default_rng(0).permutation(y.size)
    a = discrimination_summary(y, s).to_dict()
    assert a == discrimination_summary(y, s).to_dict()
    b = discrimination_summary(y[perm], s[perm]).to_dict()
    assert a["ks"] == b["ks"]
    assert a["auc"]["auc"] == pytest.approx(b["auc"]["auc"], abs=1e-14)
    assert a["auc"]["variance"] == pytest.approx(b["auc"]["variance"], rel=1e-10)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="both"):
        roc_auc(np.zeros(5, dtype=int), np.arange(5.0))
    with pytest.raises(ValueError, match="0"):
        roc_auc(np.array([0, 1, 2]), np.arange(3.0))
    with pytest.raises(ValueError, match="finite"):
        ks_statistic(np.array([0, 1]), np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="shape"):
        delong_auc(np.array([0, 1]), np.array([0.1, 0.2, 0.3]))


# ------------------------------------------------------------ exact small cases (mutants)


def _alternating(n_each: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_each`` bads and goods alternating from the riskiest row down, distinct scores:
    every row moves fpr + tpr by exactly ``1 / n_each``, so the curve is evenly spaced."""
    y = np.tile([1, 0], n_each)
    s = np.arange(2 * n_each, 0, -1, dtype=float)
    return y, s


def test_a_long_evenly_spaced_curve_is_drawn_with_exactly_200_points() -> None:
    # 2001 points at progress k / 1000; target i of 200 evenly spaced on [0, 2] picks the
    # first k with k / 1000 >= 2 i / 199, i.e. k = ceil(2000 i / 199): 200 distinct points.
    y, s = _alternating(1000)
    curve = roc_curve(y, s)
    want = [math.ceil(2000 * i / 199) for i in range(200)]
    assert MAX_CURVE_POINTS == 200 and len(curve.fpr) == 200
    np.testing.assert_allclose(np.add(curve.fpr, curve.tpr), np.array(want) / 1000,
                               rtol=0, atol=1e-12)
    assert want[1] == 11 and want[-2] == 1990  # no point is added next to either end


def test_a_curve_exactly_at_the_point_budget_is_kept_whole() -> None:
    y, s = _data(3000, 14, ties=True)
    full = roc_curve(y, s)
    budget = len(full.fpr)
    same = roc_curve(y, s, max_points=budget)
    assert same.fpr == full.fpr and same.tpr == full.tpr
    assert len(roc_curve(y, s, max_points=budget - 1).fpr) < budget


@pytest.mark.parametrize("last", [0, 1])
def test_the_curves_end_at_one_whether_the_safest_row_is_good_or_bad(last: int) -> None:
    # rows riskiest first; the safest row's class is ``last``.
    y = np.array([1, 0, 1, 0, 0, 1, 1 - last, last])
    s = np.arange(8, 0, -1, dtype=float)
    roc, cap, ksc = roc_curve(y, s), cap_curve(y, s), ks_curve(y, s)
    cb = np.r_[0, np.cumsum(y)] / 4
    cg = np.r_[0, np.cumsum(1 - y)] / 4
    np.testing.assert_allclose(roc.tpr, cb)
    np.testing.assert_allclose(roc.fpr, cg)
    np.testing.assert_allclose(cap.population_share, np.arange(9) / 8)
    np.testing.assert_allclose(cap.bads_captured, cb)
    assert cap.bad_rate == 0.5
    np.testing.assert_allclose(ksc.cum_bad, cb)
    np.testing.assert_allclose(ksc.cum_good, cg)
    np.testing.assert_allclose(ksc.population_share, np.arange(9) / 8)
    # AR = (A_model - 1/2) / (A_perfect - 1/2) with A_perfect = 1 - 0.5 / 2
    a_model = float(np.sum((cb[1:] + cb[:-1]) / 2 / 8))
    assert cap.accuracy_ratio == pytest.approx((a_model - 0.5) / 0.25, abs=1e-12)
    assert cap.accuracy_ratio == pytest.approx(gini(y, s), abs=1e-12)


def test_two_bads_or_two_goods_still_get_their_placement_variance() -> None:
    y = np.array([1, 0, 0, 0, 1, 0, 0])
    s = np.array([0.9, 0.1, 0.5, 0.3, 0.4, 0.6, 0.2])
    auc, cov = _brute_delong(y, [s])
    res = delong_auc(y, s)
    assert res.auc == pytest.approx(auc[0], abs=1e-12)
    assert res.variance == pytest.approx(cov[0, 0], rel=1e-12) and res.variance > 0
    res = delong_auc(1 - y, -s)  # two goods
    assert res.variance == pytest.approx(cov[0, 0], rel=1e-12)


def test_the_paired_test_reports_the_correlation_and_the_difference_interval() -> None:
    y, s = _data(250, 6, ties=True)
    rng = np.random.default_rng(106)
    s2 = s + rng.normal(scale=1.0, size=s.size)
    auc, cov = _brute_delong(y, [s, s2])
    res = delong_test(y, s, s2, level=0.9)
    assert res.correlation == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]),
                                            rel=1e-9)
    z = stats.norm.ppf(0.95)
    assert res.ci_low == pytest.approx(res.difference - z * res.se, abs=1e-12)
    assert res.ci_high == pytest.approx(res.difference + z * res.se, abs=1e-12)
    assert res.level == 0.9 and res.n == 250
    assert (res.auc_a, res.auc_b) == (pytest.approx(auc[0]), pytest.approx(auc[1]))


@pytest.mark.parametrize("last", [0, 1])
def test_the_ks_point_is_written_out_whether_the_safest_row_is_good_or_bad(last: int) -> None:
    # Riskiest first: 1 1 0 1 0 0 | then 1 - last, last. Four bads, four goods.
    y = np.array([1, 1, 0, 1, 0, 0, 1 - last, last])
    s = np.arange(8, 0, -1, dtype=float)
    res = ks_statistic(y, s)
    # the gap is 0.5 after 2 rows (2 of 4 bads, no good) and again after 4 (3 and 1): the
    # first maximum is reported, at the 2nd row's score 7, a quarter of the rows.
    assert (res.ks, res.threshold, res.bad_rate, res.good_rate) == (0.5, 7.0, 0.5, 0.0)
    assert res.population_share == 0.25
    assert ks_curve(y, s).ks == res
