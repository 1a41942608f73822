"""Population stability (PSI, CSI), information value and multicollinearity (VIF).

Conventions: score arrays are float arrays of shape ``(n,)`` in points (or any continuous
score); bin arrays are shape ``(n,)`` arrays of bin identifiers (ints such as optbinning's
bin indices, or strings); ``y`` is an int 0/1 array with 1 = default.

Empty bins: PSI, CSI and IV take ``ln`` of a ratio of shares, which is infinite when a bin is
empty on one side. Every share is floored at ``eps`` (default ``1e-4``, i.e. 0.01 % of the
population) before the logarithm and the difference, so an empty bin contributes a large but
finite amount (about ``share * ln(share / 1e-4)``) instead of infinity. The floor is reported
in each result so a reader can tell it was applied.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from validation.plain import records

EPS = 1e-4

# Customary reading of PSI / CSI (Siddiqi 2006): < 0.10 stable, 0.10-0.25 moderate shift,
# >= 0.25 significant shift.
PSI_MODERATE = 0.10
PSI_SIGNIFICANT = 0.25


def psi_status(value: float) -> str:
    """``"stable"``, ``"moderate"`` or ``"significant"`` for a PSI/CSI value."""
    if value < PSI_MODERATE:
        return "stable"
    return "moderate" if value < PSI_SIGNIFICANT else "significant"


@dataclass(frozen=True, eq=False)
class PSIResult:
    """Population stability index with its per-bin table.

    ``psi = sum_b (t_b - r_b) ln(t_b / r_b)`` over bins, where ``r_b``/``t_b`` are the reference
    and target shares floored at ``eps``. ``table`` has one row per bin with columns ``bin``,
    ``lower``, ``upper`` (score bins only; bin ``b`` holds ``lower <= s < upper``),
    ``ref_count``, ``target_count``, ``ref_share``, ``target_share`` and ``contribution``.
    """

    psi: float
    status: str
    eps: float
    n_ref: int
    n_target: int
    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "psi": float(self.psi),
            "status": self.status,
            "eps": float(self.eps),
            "n_ref": int(self.n_ref),
            "n_target": int(self.n_target),
            "table": records(self.table),
        }


def _psi_from_counts(
    ref_counts: np.ndarray, tgt_counts: np.ndarray, eps: float
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    r = ref_counts / ref_counts.sum()
    t = tgt_counts / tgt_counts.sum()
    rf = np.maximum(r, eps)
    tf = np.maximum(t, eps)
    contrib = (tf - rf) * np.log(tf / rf)
    return float(contrib.sum()), r, t, contrib


def reference_edges(reference: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Inner bin edges from the reference's quantiles (deciles by default), duplicates dropped.

    Returns a sorted float array of at most ``n_bins - 1`` edges; the outer bins are open, so
    target values outside the reference range still land in the first or last bin.
    """
    reference = np.asarray(reference, dtype=np.float64)
    return np.unique(np.quantile(reference, np.arange(1, n_bins) / n_bins))


def psi(
    reference: np.ndarray,
    target: np.ndarray,
    *,
    n_bins: int = 10,
    edges: Sequence[float] | np.ndarray | None = None,
    eps: float = EPS,
) -> PSIResult:
    """Population stability index of a score between a reference and a target sample.

    Args:
        reference: shape ``(n_ref,)``, the scores of the development / reference sample.
        target: shape ``(n_target,)``, the scores of the sample being monitored.
        n_bins: number of reference-quantile bins when ``edges`` is not given (10 = deciles;
            fewer when the reference has heavy ties).
        edges: inner bin edges in score units (sorted); overrides ``n_bins``. Bins are
            ``(-inf, e1), [e1, e2), ..., [ek, inf)``.
        eps: floor on bin shares (module docstring).

    Returns:
        :class:`PSIResult`. Bins are always fixed from the reference, never the target.
    """
    reference = np.asarray(reference, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if reference.size == 0 or target.size == 0:
        raise ValueError("reference and target must be non-empty")
    if not (np.isfinite(reference).all() and np.isfinite(target).all()):
        raise ValueError("scores must be finite")
    e = reference_edges(reference, n_bins) if edges is None else np.asarray(edges, dtype=float)
    if e.size and np.any(np.diff(e) <= 0):
        raise ValueError("edges must be strictly increasing")
    k = e.size + 1
    rc = np.bincount(np.searchsorted(e, reference, side="right"), minlength=k)
    tc = np.bincount(np.searchsorted(e, target, side="right"), minlength=k)
    value, r, t, contrib = _psi_from_counts(rc.astype(float), tc.astype(float), eps)
    table = pd.DataFrame(
        {
            "bin": np.arange(k),
            "lower": np.r_[-np.inf, e],
            "upper": np.r_[e, np.inf],
            "ref_count": rc,
            "target_count": tc,
            "ref_share": r,
            "target_share": t,
            "contribution": contrib,
        }
    )
    return PSIResult(value, psi_status(value), eps, reference.size, target.size, table)


def _categories(ref: np.ndarray, tgt: np.ndarray) -> list[Hashable]:
    cats = list(pd.unique(np.r_[ref, tgt]))
    try:
        return sorted(cats)
    except TypeError:  # mixed types: keep first-seen order, which is deterministic
        return cats


def csi(
    reference_bins: np.ndarray, target_bins: np.ndarray, *, eps: float = EPS
) -> PSIResult:
    """Characteristic stability index of one binned characteristic.

    Args:
        reference_bins: shape ``(n_ref,)``, the bin of each reference row (int index or label).
        target_bins: shape ``(n_target,)``, the bin of each target row, same coding.
        eps: floor on bin shares (module docstring).

    Returns:
        :class:`PSIResult` over the union of bins seen in either sample (``lower``/``upper``
        columns are absent; ``bin`` holds the bin identifier).
    """
    ref = np.asarray(reference_bins)
    tgt = np.asarray(target_bins)
    if ref.size == 0 or tgt.size == 0:
        raise ValueError("reference_bins and target_bins must be non-empty")
    cats = _categories(ref, tgt)
    rc = pd.Series(ref).value_counts().reindex(cats, fill_value=0).to_numpy()
    tc = pd.Series(tgt).value_counts().reindex(cats, fill_value=0).to_numpy()
    value, r, t, contrib = _psi_from_counts(rc.astype(float), tc.astype(float), eps)
    table = pd.DataFrame(
        {
            "bin": cats,
            "ref_count": rc,
            "target_count": tc,
            "ref_share": r,
            "target_share": t,
            "contribution": contrib,
        }
    )
    return PSIResult(value, psi_status(value), eps, ref.size, tgt.size, table)


def csi_table(
    reference: Mapping[str, np.ndarray] | pd.DataFrame,
    target: Mapping[str, np.ndarray] | pd.DataFrame,
    *,
    eps: float = EPS,
) -> pd.DataFrame:
    """CSI of every characteristic present in ``reference`` (must also be in ``target``).

    Args:
        reference: characteristic name -> bin array of shape ``(n_ref,)`` (or a frame of them).
        target: characteristic name -> bin array of shape ``(n_target,)``.

    Returns:
        Columns ``characteristic``, ``csi``, ``status``, ``n_bins``, sorted by CSI descending
        (ties by name) so the most shifted characteristic comes first.
    """
    names = list(reference.keys())
    missing = [c for c in names if c not in target]
    if missing:
        raise KeyError(f"characteristics missing in target: {missing}")
    rows = []
    for name in names:
        res = csi(np.asarray(reference[name]), np.asarray(target[name]), eps=eps)
        rows.append(
            {"characteristic": name, "csi": res.psi, "status": res.status, "n_bins": len(res.table)}
        )
    frame = pd.DataFrame(rows, columns=["characteristic", "csi", "status", "n_bins"])
    frame = frame.sort_values(["csi", "characteristic"], ascending=[False, True], kind="mergesort")
    return frame.reset_index(drop=True)


def iv_strength(value: float) -> str:
    """Siddiqi's reading of an information value."""
    if value < 0.02:
        return "unpredictive"
    if value < 0.1:
        return "weak"
    if value < 0.3:
        return "medium"
    return "strong" if value < 0.5 else "suspicious"


@dataclass(frozen=True, eq=False)
class IVResult:
    """Information value of a binned characteristic with its WoE table.

    ``woe_b = ln(good_share_b / bad_share_b)`` (positive = safer than average, the scorecard
    convention) and ``iv = sum_b (good_share_b - bad_share_b) * woe_b``, shares floored at
    ``eps``. ``table`` columns: ``bin``, ``count``, ``goods``, ``bads``, ``default_rate``,
    ``good_share``, ``bad_share``, ``woe``, ``iv``.
    """

    iv: float
    strength: str
    eps: float
    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "iv": float(self.iv),
            "strength": self.strength,
            "eps": float(self.eps),
            "table": records(self.table),
        }


def information_value(y: np.ndarray, bins: np.ndarray, *, eps: float = EPS) -> IVResult:
    """Information value of one binned characteristic.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = default.
        bins: shape ``(n,)``, the bin of each row (int index or label).
        eps: floor on the good/bad shares of a bin (module docstring).
    """
    y = np.asarray(y)
    bins = np.asarray(bins)
    if y.shape != bins.shape or y.ndim != 1:
        raise ValueError("y and bins must be 1-D of the same shape")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y must contain only 0 and 1")
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("y must contain both goods and bads")
    cats = _categories(bins, bins[:0])
    frame = pd.DataFrame({"bin": bins, "y": y.astype(np.int64)})
    g = frame.groupby("bin", sort=False, dropna=False)["y"].agg(["size", "sum"]).reindex(cats)
    count = g["size"].to_numpy()
    bads = g["sum"].to_numpy()
    goods = count - bads
    gs = goods / n_good
    bs = bads / n_bad
    woe = np.log(np.maximum(gs, eps) / np.maximum(bs, eps))
    contrib = (np.maximum(gs, eps) - np.maximum(bs, eps)) * woe
    table = pd.DataFrame(
        {
            "bin": cats,
            "count": count,
            "goods": goods,
            "bads": bads,
            "default_rate": bads / count,
            "good_share": gs,
            "bad_share": bs,
            "woe": woe,
            "iv": contrib,
        }
    )
    value = float(contrib.sum())
    return IVResult(value, iv_strength(value), eps, table)


VIF_HIGH = 5.0


def vif_table(
    X: np.ndarray | pd.DataFrame, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Variance inflation factor of each column of a numeric matrix.

    ``VIF_j = 1 / (1 - R^2_j)`` with ``R^2_j`` from regressing column ``j`` on all others with
    an intercept; computed from the correlation matrix (``R^2_j = r_j' R_{-j}^+ r_j``), which
    equals statsmodels' ``variance_inflation_factor`` on the matrix with a constant added.
    Exactly collinear columns get ``inf``; constant columns (zero variance) get ``NaN``.

    Args:
        X: shape ``(n, k)``, numeric, no missing values (e.g. the WoE-transformed design).
        names: column names; defaults to the frame's columns or ``x0 .. x{k-1}``.

    Returns:
        Columns ``feature``, ``vif``, ``r_squared``, ``high`` (``vif > 5``), in input order.
    """
    if isinstance(X, pd.DataFrame):
        names = list(X.columns) if names is None else list(names)
        A = X.to_numpy(dtype=np.float64)
    else:
        A = np.asarray(X, dtype=np.float64)
        names = [f"x{j}" for j in range(A.shape[1])] if names is None else list(names)
    if A.ndim != 2 or len(names) != A.shape[1]:
        raise ValueError("X must be 2-D with one name per column")
    if not np.isfinite(A).all():
        raise ValueError("X must be finite (impute or WoE-transform first)")
    sd = A.std(axis=0)
    const = sd == 0
    Z = (A[:, ~const] - A[:, ~const].mean(axis=0)) / sd[~const]
    R = (Z.T @ Z) / A.shape[0]
    k = R.shape[0]
    r2_live = np.empty(k)
    for j in range(k):
        others = np.r_[0:j, j + 1 : k]
        r = R[others, j]
        if others.size == 0:
            r2_live[j] = 0.0
            continue
        b, *_ = np.linalg.lstsq(R[np.ix_(others, others)], r, rcond=None)
        r2_live[j] = min(float(r @ b), 1.0)
    r2 = np.full(A.shape[1], np.nan)
    r2[~const] = r2_live
    with np.errstate(divide="ignore"):
        tol = 1e-10  # 1 - R^2 below this is collinearity up to rounding
        vif = np.where(1.0 - r2 <= tol, np.inf, 1.0 / (1.0 - r2))
    vif[const] = np.nan
    high = np.nan_to_num(vif, nan=0.0) > VIF_HIGH
    return pd.DataFrame({"feature": names, "vif": vif, "r_squared": r2, "high": high})
