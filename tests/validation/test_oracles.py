"""The validation statistics against second implementations written differently here.

Each oracle is the textbook definition computed the slow, obvious way (pairwise comparisons,
explicit loops, scipy's distributions), so a wrong sign, bound, tie rule or degree of freedom
in the fast code shows up as a difference. Small random samples with ties.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from validation import calibration, discrimination, stability


@pytest.fixture(params=[0, 1, 2])
def sample(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(request.param)
    n = 160
    y = (rng.random(n) < 0.3).astype(int)
    a = np.round(rng.normal(size=n) + 0.8 * y, 1)  # ties on purpose
    b = np.round(a + rng.normal(scale=1.2, size=n), 1)
    return y, a, b


def _placements(y: np.ndarray, s: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and the DeLong placement values by explicit pairwise comparison."""
    bad, good = s[y == 1], s[y == 0]
    psi = (bad[:, None] > good[None, :]) + 0.5 * (bad[:, None] == good[None, :])
    return float(psi.mean()), psi.mean(axis=1), psi.mean(axis=0)


def test_auc_and_its_delong_interval_match_the_pairwise_definition(sample) -> None:
    y, a, _ = sample
    auc, v10, v01 = _placements(y, a)
    m, n = len(v10), len(v01)
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    z = stats.norm.ppf(0.975)
    got = discrimination.delong_auc(y, a)
    assert got.auc == pytest.approx(auc, abs=1e-12)
    assert got.variance == pytest.approx(var, rel=1e-9)
    assert got.ci_low == pytest.approx(max(auc - z * math.sqrt(var), 0.0), abs=1e-12)
    assert got.ci_high == pytest.approx(min(auc + z * math.sqrt(var), 1.0), abs=1e-12)
    # Gini and its interval are the AUC's mapped through 2 AUC - 1, bound for bound.
    assert got.gini == pytest.approx(2 * auc - 1, abs=1e-12)
    assert got.gini_ci_low == pytest.approx(2 * got.ci_low - 1, abs=1e-12)
    assert got.gini_ci_high == pytest.approx(2 * got.ci_high - 1, abs=1e-12)
    assert got.gini_ci_low < got.gini < got.gini_ci_high


def test_points_rank_the_other_way_round(sample) -> None:
    y, a, _ = sample
    assert discrimination.delong_auc(y, -a, higher_is_riskier=False).auc == pytest.approx(
        _placements(y, a)[0], abs=1e-12)


def test_the_paired_delong_test_matches_the_placement_covariance(sample) -> None:
    y, a, b = sample
    auc_a, a10, a01 = _placements(y, a)
    auc_b, b10, b01 = _placements(y, b)
    m, n = len(a10), len(a01)
    s10 = np.cov(np.vstack([a10, b10]), ddof=1)
    s01 = np.cov(np.vstack([a01, b01]), ddof=1)
    cov = s10 / m + s01 / n
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = (auc_a - auc_b) / math.sqrt(var)
    got = discrimination.delong_test(y, a, b)
    assert got.difference == pytest.approx(auc_a - auc_b, abs=1e-12)
    assert got.z == pytest.approx(z, rel=1e-9)
    assert got.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_ks_is_the_largest_gap_between_the_two_empirical_distributions(sample) -> None:
    y, a, _ = sample
    bad, good = np.sort(a[y == 1]), np.sort(a[y == 0])
    grid = np.unique(a)
    gaps = [abs(np.searchsorted(bad, t, "right") / len(bad)
                - np.searchsorted(good, t, "right") / len(good)) for t in grid]
    assert discrimination.ks_statistic(y, a).ks == pytest.approx(max(gaps), abs=1e-12)
    assert discrimination.ks_statistic(y, a).ks == pytest.approx(
        stats.ks_2samp(bad, good).statistic, abs=1e-12)


def test_hosmer_lemeshow_matches_the_grouped_chi_square(sample) -> None:
    y, a, _ = sample
    p = 1 / (1 + np.exp(-(a - 1)))
    groups = calibration.quantile_bins(p, 10)
    stat = 0.0
    for g in np.unique(groups):
        mask = groups == g
        o, e, k = y[mask].sum(), p[mask].sum(), mask.sum()
        stat += (o - e) ** 2 / (e * (1 - e / k))
    got = calibration.hosmer_lemeshow(y, p, n_groups=10, dof_reduction=2)
    k = len(np.unique(groups))
    assert got.statistic == pytest.approx(stat, rel=1e-10)
    assert got.dof == k - 2
    assert got.p_value == pytest.approx(stats.chi2.sf(stat, k - 2), rel=1e-10)
    assert calibration.hosmer_lemeshow(y, p, dof_reduction=0).dof == k


@pytest.mark.parametrize(("defaults", "n"), [(0, 50), (3, 50), (25, 50), (50, 50), (7, 1000)])
def test_jeffreys_interval_is_the_beta_half_half_posterior(defaults: int, n: int) -> None:
    lo, hi = calibration.jeffreys_interval(defaults, n)
    posterior = stats.beta(defaults + 0.5, n - defaults + 0.5)
    assert lo == (0.0 if defaults == 0 else pytest.approx(posterior.ppf(0.025), rel=1e-12))
    assert hi == (1.0 if defaults == n else pytest.approx(posterior.ppf(0.975), rel=1e-12))
    assert lo <= defaults / n <= hi


def test_psi_is_the_sum_of_share_differences_times_log_ratios() -> None:
    rng = np.random.default_rng(5)
    ref, tgt = rng.normal(size=2_000), rng.normal(0.3, 1.1, size=1_500)
    edges = np.quantile(ref, np.arange(1, 10) / 10)
    r = np.array([np.mean((ref >= lo) & (ref < hi)) for lo, hi in
                  zip(np.r_[-np.inf, edges], np.r_[edges, np.inf], strict=True)])
    t = np.array([np.mean((tgt >= lo) & (tgt < hi)) for lo, hi in
                  zip(np.r_[-np.inf, edges], np.r_[edges, np.inf], strict=True)])
    expected = float(np.sum((t - r) * np.log(t / r)))
    got = stability.psi(ref, tgt)
    assert got.psi == pytest.approx(expected, rel=1e-10)
    assert stability.psi(ref, ref).psi == pytest.approx(0.0, abs=1e-15)


def test_psi_traffic_lights_use_the_usual_thresholds() -> None:
    assert stability.psi_status(0.0999) == stability.psi_status(0.0)
    assert stability.psi_status(0.10) != stability.psi_status(0.0999)
    assert stability.psi_status(0.25) != stability.psi_status(0.2499)


def test_csi_of_a_binned_characteristic_counts_every_bin_of_either_sample() -> None:
    ref = np.array([0] * 50 + [1] * 30 + [2] * 20)
    tgt = np.array([0] * 20 + [1] * 30 + [2] * 40 + [3] * 10)
    r = np.array([0.5, 0.3, 0.2, 0.0])
    t = np.array([0.2, 0.3, 0.4, 0.1])
    rf, tf = np.maximum(r, stability.EPS), np.maximum(t, stability.EPS)
    expected = float(np.sum((tf - rf) * np.log(tf / rf)))
    got = stability.csi(ref, tgt)
    assert got.psi == pytest.approx(expected, rel=1e-12)
    assert list(got.table["bin"]) == [0, 1, 2, 3]
