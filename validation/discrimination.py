"""Discrimination of a credit model: AUC / Gini with DeLong intervals, KS, ROC and CAP curves.

Conventions for every function here:

* ``y`` is an int array of shape ``(n,)`` with 1 = default (bad) and 0 = good.
* ``s`` is a float array of shape ``(n,)`` holding a *risk ranking*: a pd, a log-odds, or the
  scorecard's points. ``higher_is_riskier=True`` (the default) means a larger value is more
  likely to default, as for a pd; pass ``higher_is_riskier=False`` for points, where a larger
  score is safer. AUC, Gini, KS and the curves do not depend on that choice beyond the
  orientation; thresholds are always reported in the units of ``s``.
* Ties in ``s`` are handled as in :func:`sklearn.metrics.roc_auc_score`: a tied bad/good pair
  counts one half (mid-ranks), and curves move diagonally through a tie group.

All results are frozen dataclasses whose ``to_dict()`` returns plain Python floats/ints/lists
(non-finite values become ``None``), so they serialize to JSON directly. Nothing is random:
the same inputs always give the same outputs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from validation.plain import plain

MAX_CURVE_POINTS = 200


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class _Serializable:
    def to_dict(self) -> dict[str, Any]:
        """The fields as plain Python values (lists for curves; ``None`` for non-finite)."""
        return {k: plain(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


def _check_binary(y: np.ndarray, s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only 0 (good) and 1 (bad)")
    y = y.astype(np.int64)
    if s is None:
        return y, np.empty(0)
    s = np.asarray(s, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"y and s must have the same shape, got {y.shape} and {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError("s must be finite (no NaN or inf)")
    n_bad = int(y.sum())
    if n_bad == 0 or n_bad == y.size:
        raise ValueError("y must contain both goods (0) and bads (1)")
    return y, s


def _risk(s: np.ndarray, higher_is_riskier: bool) -> np.ndarray:
    return s if higher_is_riskier else -s


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based mid-ranks (ties get the average rank), O(n log n)."""
    return stats.rankdata(x, method="average")


def _cumulative_by_threshold(
    y: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative bads and goods flagged when flagging ``r >= t``, for each distinct ``t``.

    Returns ``(t, cum_bad, cum_good)`` with ``t`` in descending order and the counts
    prepended by a zero point (``t = +inf``: nobody flagged).
    """
    order = np.argsort(-r, kind="mergesort")  # stable: deterministic within ties
    r_sorted = r[order]
    y_sorted = y[order]
    # last index of each tie group
    last = np.r_[np.flatnonzero(np.diff(r_sorted)), r_sorted.size - 1]
    cum_bad = np.cumsum(y_sorted)[last]
    cum_good = (last + 1) - cum_bad
    t = np.r_[np.inf, r_sorted[last]]
    return t, np.r_[0, cum_bad].astype(np.float64), np.r_[0, cum_good].astype(np.float64)


def _downsample(progress: np.ndarray, max_points: int, keep: tuple[int, ...] = ()) -> np.ndarray:
    """Indices of at most ~``max_points`` points spread evenly along a monotone ``progress``.

    ``progress`` rises from its first to its last value (e.g. fpr + tpr along a ROC curve), so
    evenly spaced targets on it give points evenly spaced along the drawn curve, dense where
    the curve bends as well as where it is flat. First, last and ``keep`` indices are kept.
    """
    n = progress.size
    if n <= max_points:
        return np.arange(n)
    targets = np.linspace(progress[0], progress[-1], max_points)
    idx = np.searchsorted(progress, targets, side="left")
    idx = np.clip(idx, 0, n - 1)
    return np.unique(np.r_[0, idx, n - 1, np.asarray(keep, dtype=np.int64)])


def _thresholds_out(t: np.ndarray, higher_is_riskier: bool) -> np.ndarray:
    # internal thresholds are on the risk scale; report them in the units of ``s``
    return t if higher_is_riskier else -t


# --------------------------------------------------------------------------------------------
# AUC, Gini, DeLong
# --------------------------------------------------------------------------------------------


def roc_auc(y: np.ndarray, s: np.ndarray, *, higher_is_riskier: bool = True) -> float:
    """Area under the ROC curve, tie-aware (Mann-Whitney with mid-ranks), O(n log n).

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking (see module docstring).
        higher_is_riskier: ``False`` for scorecard points.

    Returns:
        AUC in ``[0, 1]``: probability that a random bad ranks riskier than a random good,
        ties counting one half. Equals ``sklearn.metrics.roc_auc_score(y, s)``.
    """
    y, s = _check_binary(y, s)
    r = _risk(s, higher_is_riskier)
    ranks = _midranks(r)
    n1 = float(y.sum())
    n0 = float(y.size - n1)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def gini(y: np.ndarray, s: np.ndarray, *, higher_is_riskier: bool = True) -> float:
    """Gini coefficient (Somers' D) ``2 * AUC - 1``, in ``[-1, 1]``; equals the accuracy ratio."""
    return 2.0 * roc_auc(y, s, higher_is_riskier=higher_is_riskier) - 1.0


def _delong_components(
    y: np.ndarray, risks: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Fast DeLong (Sun & Xu 2014): AUCs and the DeLong covariance matrix of ``k`` rankings.

    ``risks`` has shape ``(k, n)``. Returns ``(auc (k,), cov (k, k), m, n)`` where ``m`` is the
    number of bads and ``n`` the number of goods. Uses three mid-rankings per model instead of
    the O(m n) placement matrix: the placement of bad ``i`` is ``(Tz_i - Tx_i) / n`` and of good
    ``j`` is ``1 - (Tz_j - Ty_j) / m``.
    """
    pos = y == 1
    x = risks[:, pos]
    yy = risks[:, ~pos]
    m = x.shape[1]
    n = yy.shape[1]
    k = risks.shape[0]
    tx = np.empty((k, m))
    ty = np.empty((k, n))
    tz = np.empty((k, m + n))
    for r in range(k):
        tx[r] = _midranks(x[r])
        ty[r] = _midranks(yy[r])
        tz[r] = _midranks(np.r_[x[r], yy[r]])
    auc = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / (2.0 * n)
    v10 = (tz[:, :m] - tx) / n
    v01 = 1.0 - (tz[:, m:] - ty) / m
    # A single bad (good) has no sample variance of its placement; count that term as 0
    # rather than NaN, so tiny samples return a finite, understated variance.
    s10 = np.atleast_2d(np.cov(v10)) if m > 1 else np.zeros((k, k))
    s01 = np.atleast_2d(np.cov(v01)) if n > 1 else np.zeros((k, k))
    return auc, s10 / m + s01 / n, m, n


@dataclass(frozen=True)
class AUCResult(_Serializable):
    """AUC with its DeLong standard error and a normal confidence interval.

    ``ci_low``/``ci_high`` are ``auc -/+ z * se`` clipped to ``[0, 1]``; ``gini_ci_*`` are the
    same interval mapped through ``2 * auc - 1``. ``n_bad``/``n_good`` are row counts.
    """

    auc: float
    gini: float
    variance: float
    se: float
    ci_low: float
    ci_high: float
    gini_ci_low: float
    gini_ci_high: float
    level: float
    n: int
    n_bad: int
    n_good: int


def delong_auc(
    y: np.ndarray, s: np.ndarray, *, higher_is_riskier: bool = True, level: float = 0.95
) -> AUCResult:
    """AUC with DeLong variance and a ``level`` confidence interval (fast DeLong, O(n log n)).

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking.
        higher_is_riskier: ``False`` for scorecard points.
        level: two-sided confidence level of the interval.

    Returns:
        :class:`AUCResult`. The variance is DeLong's (placement values, unbiased covariances),
        identical to the O(n^2) Mann-Whitney placement formula.
    """
    y, s = _check_binary(y, s)
    z = _z(level)
    auc, cov, m, n = _delong_components(y, _risk(s, higher_is_riskier)[None, :])
    a = float(auc[0])
    var = max(float(cov[0, 0]), 0.0)
    se = math.sqrt(var)
    lo, hi = max(a - z * se, 0.0), min(a + z * se, 1.0)
    return AUCResult(
        auc=a,
        gini=2.0 * a - 1.0,
        variance=var,
        se=se,
        ci_low=lo,
        ci_high=hi,
        gini_ci_low=2.0 * lo - 1.0,
        gini_ci_high=2.0 * hi - 1.0,
        level=level,
        n=m + n,
        n_bad=m,
        n_good=n,
    )


@dataclass(frozen=True)
class DeLongTestResult(_Serializable):
    """Paired DeLong test of ``H0: AUC_a == AUC_b`` on the same rows.

    ``difference = auc_a - auc_b``; ``variance`` is ``Var(a) + Var(b) - 2 Cov(a, b)``;
    ``z = difference / se``; ``p_value`` is two-sided; the CI is for the difference.
    Identical rankings give ``difference = 0``, ``z = 0`` and ``p_value = 1``.
    """

    auc_a: float
    auc_b: float
    difference: float
    variance: float
    se: float
    correlation: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    n: int


def delong_test(
    y: np.ndarray,
    s_a: np.ndarray,
    s_b: np.ndarray,
    *,
    higher_is_riskier_a: bool = True,
    higher_is_riskier_b: bool = True,
    level: float = 0.95,
) -> DeLongTestResult:
    """Paired DeLong test comparing two models' AUCs on the same rows (DeLong et al. 1988).

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s_a, s_b: shape ``(n,)`` each, the two models' risk rankings of the same rows, e.g.
            scorecard points (``higher_is_riskier_a=False``) and a challenger's pd.
        level: two-sided confidence level of the interval for the AUC difference.

    Returns:
        :class:`DeLongTestResult`.
    """
    y, s_a = _check_binary(y, s_a)
    _, s_b = _check_binary(y, s_b)
    zq = _z(level)
    risks = np.vstack([_risk(s_a, higher_is_riskier_a), _risk(s_b, higher_is_riskier_b)])
    auc, cov, m, n = _delong_components(y, risks)
    diff = float(auc[0] - auc[1])
    var = max(float(cov[0, 0] + cov[1, 1] - 2.0 * cov[0, 1]), 0.0)
    se = math.sqrt(var)
    denom = math.sqrt(max(cov[0, 0], 0.0) * max(cov[1, 1], 0.0))
    corr = float(cov[0, 1] / denom) if denom > 0 else 1.0
    # A zero-variance difference only happens for rankings equivalent on every bad/good pair,
    # whose AUCs then agree; guard the 0/0 rather than report NaN.
    if se > 0.0:
        z = diff / se
        p = float(2.0 * stats.norm.sf(abs(z)))
    elif diff == 0.0:
        z, p = 0.0, 1.0
    else:  # pragma: no cover - numerically unreachable
        z, p = math.copysign(math.inf, diff), 0.0
    return DeLongTestResult(
        auc_a=float(auc[0]),
        auc_b=float(auc[1]),
        difference=diff,
        variance=var,
        se=se,
        correlation=corr,
        z=float(z),
        p_value=p,
        ci_low=diff - zq * se,
        ci_high=diff + zq * se,
        level=level,
        n=m + n,
    )


# --------------------------------------------------------------------------------------------
# KS, ROC, CAP
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KSResult(_Serializable):
    """Kolmogorov-Smirnov separation of the bad and good score distributions.

    ``ks = max_t |F_bad(t) - F_good(t)|`` over all cut-offs, in ``[0, 1]``. ``threshold`` is
    the value of ``s`` at which it occurs: flagging rows with ``s >= threshold``
    (``higher_is_riskier``) or ``s <= threshold`` (points) as bad captures ``bad_rate`` of all
    bads and ``good_rate`` of all goods; ``population_share`` is the share of rows flagged.
    """

    ks: float
    threshold: float
    bad_rate: float
    good_rate: float
    population_share: float
    higher_is_riskier: bool


def _ks_from_cumulative(
    t: np.ndarray, cum_bad: np.ndarray, cum_good: np.ndarray, higher_is_riskier: bool
) -> tuple[KSResult, int]:
    fb = cum_bad / cum_bad[-1]
    fg = cum_good / cum_good[-1]
    gap = np.abs(fb - fg)
    i = int(np.argmax(gap[1:])) + 1  # skip the empty start point; argmax: first maximum
    n = cum_bad[-1] + cum_good[-1]
    result = KSResult(
        ks=float(gap[i]),
        threshold=float(_thresholds_out(t, higher_is_riskier)[i]),
        bad_rate=float(fb[i]),
        good_rate=float(fg[i]),
        population_share=float((cum_bad[i] + cum_good[i]) / n),
        higher_is_riskier=higher_is_riskier,
    )
    return result, i


def ks_statistic(y: np.ndarray, s: np.ndarray, *, higher_is_riskier: bool = True) -> KSResult:
    """KS statistic and the cut-off where it occurs (ties in ``s`` are never split).

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking in its own units (pd or points).
        higher_is_riskier: ``False`` for scorecard points.
    """
    y, s = _check_binary(y, s)
    t, cb, cg = _cumulative_by_threshold(y, _risk(s, higher_is_riskier))
    return _ks_from_cumulative(t, cb, cg, higher_is_riskier)[0]


@dataclass(frozen=True)
class ROCCurve(_Serializable):
    """ROC curve points, downsampled to at most ~``MAX_CURVE_POINTS`` for plotting.

    ``fpr[i]``/``tpr[i]`` are the shares of goods/bads flagged when flagging ``s >= threshold[i]``
    (``s <= threshold[i]`` for points). The first point (0, 0) flags nobody and has an infinite
    threshold (``None`` in ``to_dict``); the last is (1, 1). ``auc`` uses the full curve.
    """

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    threshold: tuple[float, ...]
    auc: float
    higher_is_riskier: bool


def roc_curve(
    y: np.ndarray,
    s: np.ndarray,
    *,
    higher_is_riskier: bool = True,
    max_points: int = MAX_CURVE_POINTS,
) -> ROCCurve:
    """ROC curve (false vs true positive rate by cut-off), downsampled along the curve.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking.
        higher_is_riskier: ``False`` for scorecard points.
        max_points: upper bound on the number of points kept (endpoints always kept).
    """
    y, s = _check_binary(y, s)
    t, cb, cg = _cumulative_by_threshold(y, _risk(s, higher_is_riskier))
    tpr = cb / cb[-1]
    fpr = cg / cg[-1]
    auc = float(np.trapezoid(tpr, fpr))
    keep = _downsample(fpr + tpr, max_points)
    return ROCCurve(
        fpr=tuple(fpr[keep].tolist()),
        tpr=tuple(tpr[keep].tolist()),
        threshold=tuple(_thresholds_out(t, higher_is_riskier)[keep].tolist()),
        auc=auc,
        higher_is_riskier=higher_is_riskier,
    )


@dataclass(frozen=True)
class CAPCurve(_Serializable):
    """Cumulative accuracy profile (Lorenz / power curve), downsampled for plotting.

    Rows are ordered riskiest first; ``population_share[i]`` is the share of all rows with
    ``s >= threshold[i]`` (points: ``s <= threshold[i]``) and ``bads_captured[i]`` the share of
    all bads among them. ``accuracy_ratio = (A_model - 1/2) / (A_perfect - 1/2)`` from the full
    curve, with ``A_perfect = 1 - bad_rate / 2``; it equals the Gini coefficient.
    """

    population_share: tuple[float, ...]
    bads_captured: tuple[float, ...]
    threshold: tuple[float, ...]
    accuracy_ratio: float
    bad_rate: float
    higher_is_riskier: bool


def cap_curve(
    y: np.ndarray,
    s: np.ndarray,
    *,
    higher_is_riskier: bool = True,
    max_points: int = MAX_CURVE_POINTS,
) -> CAPCurve:
    """CAP curve and accuracy ratio.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking.
        higher_is_riskier: ``False`` for scorecard points.
        max_points: upper bound on the number of points kept.
    """
    y, s = _check_binary(y, s)
    t, cb, cg = _cumulative_by_threshold(y, _risk(s, higher_is_riskier))
    n = cb[-1] + cg[-1]
    x = (cb + cg) / n
    cap = cb / cb[-1]
    bad_rate = float(cb[-1] / n)
    a_model = float(np.trapezoid(cap, x))
    a_perfect = 1.0 - bad_rate / 2.0
    ar = (a_model - 0.5) / (a_perfect - 0.5)
    keep = _downsample(x + cap, max_points)
    return CAPCurve(
        population_share=tuple(x[keep].tolist()),
        bads_captured=tuple(cap[keep].tolist()),
        threshold=tuple(_thresholds_out(t, higher_is_riskier)[keep].tolist()),
        accuracy_ratio=float(ar),
        bad_rate=bad_rate,
        higher_is_riskier=higher_is_riskier,
    )


@dataclass(frozen=True)
class KSCurve(_Serializable):
    """Cumulative bad and good rates by cut-off (the KS plot), downsampled for plotting.

    Points run from the riskiest cut-off to the safest. At point ``i``, flagging
    ``s >= threshold[i]`` (points: ``s <= threshold[i]``) captures ``cum_bad[i]`` of all bads and
    ``cum_good[i]`` of all goods, i.e. ``population_share[i]`` of the rows. The KS point is
    always kept; ``ks`` holds its :class:`KSResult` fields.
    """

    threshold: tuple[float, ...]
    population_share: tuple[float, ...]
    cum_bad: tuple[float, ...]
    cum_good: tuple[float, ...]
    ks: KSResult


def ks_curve(
    y: np.ndarray,
    s: np.ndarray,
    *,
    higher_is_riskier: bool = True,
    max_points: int = MAX_CURVE_POINTS,
) -> KSCurve:
    """KS plot data: cumulative bad and good rates by cut-off, plus the KS point.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = bad.
        s: shape ``(n,)``, risk ranking.
        higher_is_riskier: ``False`` for scorecard points.
        max_points: upper bound on the number of points kept.
    """
    y, s = _check_binary(y, s)
    t, cb, cg = _cumulative_by_threshold(y, _risk(s, higher_is_riskier))
    ks, i_ks = _ks_from_cumulative(t, cb, cg, higher_is_riskier)
    fb = cb / cb[-1]
    fg = cg / cg[-1]
    share = (cb + cg) / (cb[-1] + cg[-1])
    keep = _downsample(fb + fg, max_points, keep=(i_ks,))
    return KSCurve(
        threshold=tuple(_thresholds_out(t, higher_is_riskier)[keep].tolist()),
        population_share=tuple(share[keep].tolist()),
        cum_bad=tuple(fb[keep].tolist()),
        cum_good=tuple(fg[keep].tolist()),
        ks=ks,
    )


@dataclass(frozen=True)
class DiscriminationSummary(_Serializable):
    """The headline discrimination figures of one model on one split."""

    auc: AUCResult
    ks: KSResult
    accuracy_ratio: float


def discrimination_summary(
    y: np.ndarray, s: np.ndarray, *, higher_is_riskier: bool = True, level: float = 0.95
) -> DiscriminationSummary:
    """AUC with DeLong CI, KS and accuracy ratio in one call (shapes as in :func:`roc_auc`)."""
    return DiscriminationSummary(
        auc=delong_auc(y, s, higher_is_riskier=higher_is_riskier, level=level),
        ks=ks_statistic(y, s, higher_is_riskier=higher_is_riskier),
        accuracy_ratio=cap_curve(y, s, higher_is_riskier=higher_is_riskier).accuracy_ratio,
    )
