"""Monitoring statistics against values computed independently, by hand or brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from validation.drift import (
    auc_against_reference,
    default_rate_test,
    herfindahl,
    light,
    psi_counts,
)


def test_psi_of_counts_is_the_textbook_sum_with_floored_shares() -> None:
    ref, cur = [50, 30, 20, 0], [40, 30, 25, 5]
    r = np.array(ref) / 100
    c = np.array(cur) / 100
    rf, cf = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    expected = sum((b - a) * math.log(b / a) for a, b in zip(rf, cf, strict=True))
    got = psi_counts(ref, cur)
    assert got["psi"] == pytest.approx(expected, rel=1e-12)
    assert got["contribution"][1] == 0.0
    assert got["light"] == light(expected)


def test_psi_of_identical_shares_is_zero_and_lights_follow_the_thresholds() -> None:
    assert psi_counts([10, 20, 30], [20, 40, 60])["psi"] == pytest.approx(0.0, abs=1e-15)
    assert [light(v) for v in (0.0999, 0.10, 0.2499, 0.25)] == ["green", "amber", "amber",
                                                              "red"]
    with pytest.raises(ValueError, match="same length"):
        psi_counts([1, 2], [1, 2, 3])


def test_herfindahl_of_even_concentrated_and_known_distributions() -> None:
    assert herfindahl([5, 5, 5, 5]) == {"hhi": 0.25, "hhi_normalised": 0.0}
    assert herfindahl([0, 9, 0]) == {"hhi": 1.0, "hhi_normalised": 1.0}
    h = herfindahl([6, 3, 1])  # shares .6 .3 .1: .36 + .09 + .01
    assert h["hhi"] == pytest.approx(0.46)
    assert h["hhi_normalised"] == pytest.approx((0.46 - 1 / 3) / (2 / 3))


def _brute_force_auc_and_delong_variance(y: np.ndarray, risk: np.ndarray) -> tuple[float, float]:
    """O(n^2) Mann-Whitney AUC and DeLong's placement-value variance."""
    pos, neg = risk[y == 1], risk[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    auc = float(psi.mean())
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / pos.size + v01.var(ddof=1) / neg.size
    return auc, float(var)


def test_auc_test_against_development_matches_a_brute_force_z_test() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(600) < 0.2).astype(int)
    score = np.round(600 - 40 * y + rng.normal(0, 40, y.size))  # points: higher = safer
    auc, var = _brute_force_auc_and_delong_variance(y, -score)
    z = (auc - 0.9) / math.sqrt(var)
    p = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    got = auc_against_reference(y, score, 0.9)
    assert got.auc == pytest.approx(auc, abs=1e-12)
    assert got.se == pytest.approx(math.sqrt(var), rel=1e-9)
    assert got.z == pytest.approx(z, rel=1e-9)
    assert got.p_value == pytest.approx(p, rel=1e-9)
    assert got.alert == (p < 0.01)
    assert got.gini == pytest.approx(2 * auc - 1)
    same = auc_against_reference(y, score, auc)  # at the development AUC: p = 1/2
    assert same.p_value == pytest.approx(0.5) and not same.alert


def test_default_rate_test_is_the_normal_approximation_of_the_poisson_binomial() -> None:
    p = np.array([0.01] * 500 + [0.05] * 500)
    y = np.zeros(p.size)
    y[:40] = 1  # 40 defaults against 30 expected
    expected, sd = 30.0, math.sqrt(500 * 0.01 * 0.99 + 500 * 0.05 * 0.95)
    z = (40 - expected) / sd
    got = default_rate_test(y, p)
    assert got["z"] == pytest.approx(z)
    assert got["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    assert got["default_rate"] == 0.04 and got["mean_pd"] == pytest.approx(0.03)
    assert not got["alert"]
    y[:80] = 1
    assert default_rate_test(y, p)["alert"]
