"""Discrimination metrics against scikit-learn, scipy and brute-force definitions."""

from __future__ import annotations

import json

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
