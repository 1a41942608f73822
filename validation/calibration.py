"""Calibration of predicted default probabilities: scores, reliability, Hosmer-Lemeshow, grades.

Conventions: ``y`` is an int array of shape ``(n,)`` with 1 = default; ``p`` a float array of
shape ``(n,)`` of predicted probabilities of default in ``[0, 1]``. Rates and probabilities are
fractions (0.02 = 2 %), not percentages.

Binning (shared by :func:`expected_calibration_error`, :func:`reliability_curve` and
:func:`hosmer_lemeshow`): *equal-frequency bins with ties kept together*. Bin edges are the
``k / n_bins`` quantiles of ``p`` (``k = 1 .. n_bins - 1``); a row goes to the bin of the number
of edges ``<= p``. Rows with equal ``p`` therefore always share a bin, so the result does not
depend on row order, but with heavily tied ``p`` (a points-based scorecard has a few hundred
distinct pds) bins can be unequal and duplicate edges collapse, leaving fewer bins. Empty bins
are dropped.

Intervals for a default rate are Jeffreys intervals: the ``(1 - level) / 2`` and
``(1 + level) / 2`` quantiles of ``Beta(d + 1/2, n - d + 1/2)`` for ``d`` defaults in ``n`` rows,
with the lower bound set to 0 when ``d = 0`` and the upper to 1 when ``d = n`` (Brown, Cai &
DasGupta 2001).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from validation.plain import plain

LOG_LOSS_EPS = 1e-15


def _check(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    if y.ndim != 1 or p.shape != y.shape:
        raise ValueError(f"y and p must be 1-D of the same shape, got {y.shape} and {p.shape}")
    if y.size == 0:
        raise ValueError("y is empty")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only 0 (good) and 1 (bad)")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("p must be finite probabilities in [0, 1]")
    return y.astype(np.int64), p


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Brier score ``mean((p - y)^2)``; lower is better. Equals ``sklearn``'s brier_score_loss."""
    y, p = _check(y, p)
    return float(np.mean((p - y) ** 2))


def log_loss(y: np.ndarray, p: np.ndarray, *, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood in nats, with ``p`` clipped to ``[eps, 1 - eps]``.

    The clip keeps a confidently wrong pd of exactly 0 or 1 finite (``-ln(1e-15) ~ 34.5``).
    """
    y, p = _check(y, p)
    q = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))


def jeffreys_interval(defaults: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Jeffreys interval for a default rate (see the module docstring)."""
    if n <= 0 or not 0 <= defaults <= n:
        raise ValueError(f"need 0 <= defaults <= n and n > 0, got {defaults} of {n}")
    a, b = defaults + 0.5, n - defaults + 0.5
    alpha = 1.0 - level
    lo = 0.0 if defaults == 0 else float(stats.beta.ppf(alpha / 2.0, a, b))
    hi = 1.0 if defaults == n else float(stats.beta.ppf(1.0 - alpha / 2.0, a, b))
    return lo, hi


def quantile_bins(p: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Bin index (0 .. n_bins - 1, not necessarily contiguous) of each row of ``p``.

    Equal-frequency by quantile edges with ties kept together (module docstring). ``p`` has
    shape ``(n,)``; the result is an int array of shape ``(n,)``.
    """
    if n_bins < 1:
        raise ValueError("n_bins must be >= 1")
    p = np.asarray(p, dtype=np.float64)
    edges = np.quantile(p, np.arange(1, n_bins) / n_bins)
    return np.searchsorted(edges, p, side="right").astype(np.int64)


def _binned(y: np.ndarray, p: np.ndarray, n_bins: int) -> pd.DataFrame:
    b = quantile_bins(p, n_bins)
    frame = pd.DataFrame({"bin": b, "y": y, "p": p})
    g = frame.groupby("bin", sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "defaults": g["y"].sum(),
            "p_min": g["p"].min(),
            "p_max": g["p"].max(),
            "mean_pd": g["p"].mean(),
        }
    ).reset_index()
    out["observed"] = out["defaults"] / out["n"]
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, *, n_bins: int = 10) -> float:
    """Expected calibration error ``sum_b (n_b / n) |mean p_b - default rate_b|``.

    Bins are equal-frequency with ties kept together (module docstring), so each bin carries
    about the same weight and sparse high-pd regions do not produce noisy near-empty bins.
    Units: a probability (0.002 = 0.2 percentage points of average absolute miscalibration).
    """
    y, p = _check(y, p)
    t = _binned(y, p, n_bins)
    return float(np.sum(t["n"] / y.size * np.abs(t["mean_pd"] - t["observed"])))


def reliability_curve(
    y: np.ndarray, p: np.ndarray, *, n_bins: int = 10, level: float = 0.95
) -> pd.DataFrame:
    """Per-bin mean predicted pd against the observed default rate, with a Jeffreys interval.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = default.
        p: shape ``(n,)``, predicted pd.
        n_bins: number of equal-frequency bins (fewer if ``p`` has heavy ties).
        level: confidence level of the Jeffreys interval.

    Returns:
        One row per non-empty bin, ordered by pd, with columns ``bin`` (int), ``n``,
        ``defaults``, ``p_min``, ``p_max``, ``mean_pd``, ``observed``, ``ci_low``, ``ci_high``.
        No NaN; ``to_dict(orient="records")`` is JSON-ready.
    """
    y, p = _check(y, p)
    t = _binned(y, p, n_bins)
    pairs = zip(t["defaults"], t["n"], strict=True)
    ci = [jeffreys_interval(int(d), int(n), level) for d, n in pairs]
    t["ci_low"] = [c[0] for c in ci]
    t["ci_high"] = [c[1] for c in ci]
    return t


@dataclass(frozen=True)
class HosmerLemeshowResult:
    """Hosmer-Lemeshow goodness-of-fit test.

    ``statistic = sum_g (O_g - E_g)^2 / (E_g (1 - E_g / n_g))`` over ``n_groups`` pd groups,
    compared with a chi-squared on ``dof = n_groups - dof_reduction`` degrees of freedom.
    A small ``p_value`` is evidence of miscalibration.
    """

    statistic: float
    dof: int
    p_value: float
    n_groups: int

    def to_dict(self) -> dict[str, Any]:
        return plain(asdict(self))


def hosmer_lemeshow(
    y: np.ndarray, p: np.ndarray, *, n_groups: int = 10, dof_reduction: int = 2
) -> HosmerLemeshowResult:
    """Hosmer-Lemeshow test on pd deciles (equal-frequency groups, ties kept together).

    Args:
        y: shape ``(n,)``, 0/1 with 1 = default.
        p: shape ``(n,)``, predicted pd.
        n_groups: number of groups (10 = deciles; fewer if ``p`` has heavy ties).
        dof_reduction: 2 for the development sample (parameters were fitted on it); use 0 on
            an independent holdout, where the fitted model is a fixed hypothesis.

    Returns:
        :class:`HosmerLemeshowResult`. Groups whose expected variance ``sum p (1 - p)`` is 0
        (every pd exactly 0 or 1) carry no information and are skipped.
    """
    y, p = _check(y, p)
    b = quantile_bins(p, n_groups)
    frame = pd.DataFrame({"b": b, "y": y, "p": p})
    g = frame.groupby("b", sort=True).agg(o=("y", "sum"), e=("p", "sum"), n=("y", "size"))
    # Denominator E (1 - E / n) = n pbar (1 - pbar): the binomial variance at the group mean.
    g = g.assign(var=g["e"] * (1.0 - g["e"] / g["n"]))
    g = g[g["var"] > 0]
    stat = float(np.sum((g["o"] - g["e"]) ** 2 / g["var"]))
    k = len(g)
    dof = max(k - dof_reduction, 1)
    return HosmerLemeshowResult(
        statistic=stat, dof=dof, p_value=float(stats.chi2.sf(stat, dof)), n_groups=k
    )


@dataclass(frozen=True)
class CalibrationSummary:
    """Headline calibration figures of one model on one split.

    ``mean_pd`` and ``default_rate`` are fractions; ``binomial_p_value`` is the one-sided
    probability of at least the observed number of defaults if every pd were right (small =
    pd underestimated, calibration-in-the-large).
    """

    n: int
    defaults: int
    mean_pd: float
    default_rate: float
    brier: float
    log_loss: float
    ece: float
    hosmer_lemeshow: HosmerLemeshowResult
    binomial_p_value: float

    def to_dict(self) -> dict[str, Any]:
        return plain(asdict(self))


def _poisson_binomial_sf(defaults: int, p: np.ndarray) -> float:
    """``P(D >= defaults)`` for ``D`` a sum of independent Bernoulli(p).

    Normal approximation with continuity correction: accurate for the thousands of rows of a
    validation sample, and used only as a headline figure.
    """
    mu = float(p.sum())
    sd = math.sqrt(float((p * (1.0 - p)).sum()))
    if sd == 0.0:
        return 1.0 if defaults <= mu else 0.0
    return float(stats.norm.sf((defaults - 0.5 - mu) / sd))


def calibration_summary(
    y: np.ndarray, p: np.ndarray, *, n_bins: int = 10, dof_reduction: int = 2
) -> CalibrationSummary:
    """Brier, log loss, ECE, Hosmer-Lemeshow and calibration-in-the-large in one call."""
    y, p = _check(y, p)
    d = int(y.sum())
    return CalibrationSummary(
        n=int(y.size),
        defaults=d,
        mean_pd=float(p.mean()),
        default_rate=float(d / y.size),
        brier=brier(y, p),
        log_loss=log_loss(y, p),
        ece=expected_calibration_error(y, p, n_bins=n_bins),
        hosmer_lemeshow=hosmer_lemeshow(y, p, n_groups=n_bins, dof_reduction=dof_reduction),
        binomial_p_value=_poisson_binomial_sf(d, p),
    )


def grade_test(
    y: np.ndarray,
    p: np.ndarray,
    grades: np.ndarray,
    *,
    order: Sequence[Hashable] | None = None,
    grade_pd: Mapping[Hashable, float] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Per-grade backtest: observed against predicted default rate.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = default.
        p: shape ``(n,)``, predicted pd of each row.
        grades: shape ``(n,)``, grade label of each row (e.g. ``"A"`` .. ``"H"``).
        order: grades in report order (best first); default: sorted labels. Grades in
            ``order`` without rows are omitted (no rate to test).
        grade_pd: optional pd per grade to test instead of the mean row pd (e.g. the master
            scale's grade pd).
        level: confidence level of the two-sided Jeffreys interval.

    Returns:
        One row per non-empty grade with columns ``grade``, ``n``, ``defaults``,
        ``observed`` (default rate), ``predicted`` (mean pd of the grade, or ``grade_pd``),
        ``ci_low``, ``ci_high`` (Jeffreys), ``binomial_p_value`` (one-sided
        ``P(X >= defaults)`` for ``X ~ Binomial(n, predicted)``: small = pd underestimated),
        ``jeffreys_p_value`` (the ECB/TRIM form ``F_Beta(predicted; d + 1/2, n - d + 1/2)``,
        same reading), and ``outside_interval`` (bool: ``predicted`` is outside the Jeffreys
        interval, in either direction) and ``underestimated`` (``predicted < ci_low``).
    """
    y, p = _check(y, p)
    grades = np.asarray(grades)
    if grades.shape != y.shape:
        raise ValueError(f"grades must have shape {y.shape}, got {grades.shape}")
    labels: list[Hashable] = list(order) if order is not None else sorted(set(grades.tolist()))
    unknown = set(grades.tolist()) - set(labels)
    if unknown:
        raise ValueError(f"grades not in order: {sorted(map(str, unknown))}")
    rows = []
    for g in labels:
        mask = grades == g
        n = int(mask.sum())
        if n == 0:
            continue
        d = int(y[mask].sum())
        pred = float(grade_pd[g]) if grade_pd is not None else float(p[mask].mean())
        lo, hi = jeffreys_interval(d, n, level)
        binom_p = float(stats.binom.sf(d - 1, n, pred)) if d > 0 else 1.0
        rows.append(
            {
                "grade": g,
                "n": n,
                "defaults": d,
                "observed": d / n,
                "predicted": pred,
                "ci_low": lo,
                "ci_high": hi,
                "binomial_p_value": binom_p,
                "jeffreys_p_value": float(stats.beta.cdf(pred, d + 0.5, n - d + 0.5)),
                "outside_interval": bool(pred < lo or pred > hi),
                "underestimated": bool(pred < lo),
            }
        )
    return pd.DataFrame(rows)
