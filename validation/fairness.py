"""Fair-lending statistics of a credit model per group: plain arrays in, plain dicts out.

For every group of a group column (an age band, a sex, a nationality, ... joined for testing
only, never a model input) against a reference group of the same column:

* **Adverse impact ratio** (AIR): the group's approval rate at the cut-off divided by the
  reference group's. Flagged when it is below :data:`AIR_THRESHOLD` (the four-fifths rule)
  *and* a two-proportion z-test (pooled variance, one-sided: the group is approved less
  often) rejects equal rates at :data:`ALPHA`, so a small group is not flagged on noise.
  A group with fewer than the minimum rows is reported, not tested.
* **Standardised mean difference** (SMD) of the scores: ``(mean_g - mean_ref) / s`` with
  ``s = sqrt((var_g + var_ref) / 2)`` (Cohen's d with the average variance); negative = the
  group scores lower (riskier).
* Where outcomes exist: the group's **AUC** with its DeLong interval
  (:func:`validation.discrimination.delong_auc`) and **calibration** in the large: mean pd
  against the observed default rate with its Jeffreys interval
  (:func:`validation.calibration.jeffreys_interval`); a mean pd outside the interval is a
  warning (the group's risk is over- or understated), not a flag.
* **Point gaps**: for each characteristic of the card, the group's mean points minus the
  reference group's; the characteristics with the largest negative gaps are where a gap in
  approvals comes from.

Nothing is random; the same inputs give the same outputs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from validation.calibration import jeffreys_interval
from validation.discrimination import delong_auc
from validation.plain import plain

AIR_THRESHOLD = 0.80
ALPHA = 0.05
MIN_ROWS = 50


def two_proportion_test(approved_g: int, n_g: int, approved_ref: int, n_ref: int,
                        ) -> dict[str, float]:
    """Pooled two-proportion z-test of ``rate_g < rate_ref``: ``z`` and the one-sided
    ``p_value`` (1.0 when the pooled rate is 0 or 1: no variance, nothing to reject)."""
    if n_g <= 0 or n_ref <= 0:
        raise ValueError("both groups need rows")
    pooled = (approved_g + approved_ref) / (n_g + n_ref)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_g + 1.0 / n_ref))
    if se == 0.0:
        return {"z": 0.0, "p_value": 1.0}
    z = (approved_g / n_g - approved_ref / n_ref) / se
    return {"z": z, "p_value": float(stats.norm.cdf(z))}


def adverse_impact(approved_g: int, n_g: int, approved_ref: int, n_ref: int, *,
                   threshold: float = AIR_THRESHOLD, alpha: float = ALPHA) -> dict[str, Any]:
    """The adverse impact ratio of a group against the reference group and whether it is
    flagged (below ``threshold`` and significant at ``alpha``, see the module docstring).
    ``ratio`` is ``None`` when the reference group approves nobody."""
    rate_g, rate_ref = approved_g / n_g, approved_ref / n_ref
    ratio = rate_g / rate_ref if rate_ref > 0 else None
    test = two_proportion_test(approved_g, n_g, approved_ref, n_ref)
    below = ratio is not None and ratio < threshold
    return {"approval_rate": rate_g, "reference_rate": rate_ref, "ratio": ratio,
            "below_threshold": below, "z": test["z"], "p_value": test["p_value"],
            "flag": bool(below and test["p_value"] < alpha)}


def standardised_mean_difference(x_g: np.ndarray, x_ref: np.ndarray) -> float | None:
    """``(mean_g - mean_ref) / sqrt((var_g + var_ref) / 2)`` (sample variances); ``None``
    when either group has fewer than two rows or both are constant."""
    x_g, x_ref = np.asarray(x_g, dtype=float), np.asarray(x_ref, dtype=float)
    if x_g.size < 2 or x_ref.size < 2:
        return None
    s = math.sqrt((x_g.var(ddof=1) + x_ref.var(ddof=1)) / 2.0)
    return None if s == 0.0 else float((x_g.mean() - x_ref.mean()) / s)


def group_calibration(y: np.ndarray, p: np.ndarray, level: float = 0.95) -> dict[str, Any]:
    """Mean pd against the default rate of one group's labelled rows, with the Jeffreys
    interval of the rate and whether the mean pd falls outside it."""
    y = np.asarray(y, dtype=float)
    d, n = int(y.sum()), int(y.size)
    lo, hi = jeffreys_interval(d, n, level)
    mean_pd = float(np.mean(p))
    return {"n": n, "defaults": d, "default_rate": d / n, "mean_pd": mean_pd,
            "ci_low": lo, "ci_high": hi, "outside_interval": bool(not lo <= mean_pd <= hi)}


def point_gaps(points: np.ndarray, names: Sequence[str], in_group: np.ndarray,
               in_reference: np.ndarray) -> list[dict[str, Any]]:
    """Per characteristic (columns of ``points``, shape (n, k)): mean points of the group,
    of the reference group and the gap, the largest loss (most negative gap) first."""
    pts = np.asarray(points, dtype=float)
    g, r = pts[in_group].mean(axis=0), pts[in_reference].mean(axis=0)
    rows = [{"characteristic": name, "mean_points": float(a), "reference_mean_points": float(b),
             "gap": float(a - b)} for name, a, b in zip(names, g, r, strict=True)]
    return sorted(rows, key=lambda row: (row["gap"], row["characteristic"]))


def group_figures(score: np.ndarray, approved: np.ndarray, labels: np.ndarray,
                  reference: str | None = None, *, pd: np.ndarray | None = None,
                  y: np.ndarray | None = None, min_rows: int = MIN_ROWS,
                  threshold: float = AIR_THRESHOLD, alpha: float = ALPHA) -> dict[str, Any]:
    """Every figure of one group column.

    Args:
        score: (n,) scores (higher = safer).
        approved: (n,) bool, approved at the cut-off.
        labels: (n,) group label per row (text); ``None``/empty entries are left out.
        reference: the reference group; ``None``: the tested group with the highest
            approval rate (the four-fifths rule's comparison group).
        pd: (n,) published pd, for calibration.
        y: (n,) outcome 1 = default, NaN = unknown; AUC and calibration use its known rows.
        min_rows: groups with fewer rows are reported, not tested.

    Returns:
        ``{"reference", "groups": [...], "flagged": [labels]}``; each group has ``n``,
        ``share``, ``approval_rate``, ``tested`` and, when tested, ``air`` (from
        :func:`adverse_impact`), ``smd``, and with outcomes ``auc`` and ``calibration``.

    Raises:
        ValueError: ``reference`` is not a group of the column, or has too few rows.
    """
    score = np.asarray(score, dtype=float)
    approved = np.asarray(approved, dtype=bool)
    labels = np.asarray(labels, dtype=object)
    known = np.array([lab is not None and lab == lab and str(lab) != "" for lab in labels],
                     dtype=bool)
    names = sorted({str(lab) for lab in labels[known]}, key=_order)
    text = np.array([str(lab) if k else "" for lab, k in zip(labels, known, strict=True)],
                    dtype=object)
    masks = {g: text == g for g in names}
    counts = {g: int(m.sum()) for g, m in masks.items()}
    tested = [g for g in names if counts[g] >= min_rows]
    if reference is None:
        if not tested:
            return {"reference": None, "groups": [_untested(g, counts[g], masks[g], approved,
                                                            known.sum()) for g in names],
                    "flagged": []}
        reference = max(tested, key=lambda g: (approved[masks[g]].mean(), counts[g], g))
    elif reference not in masks:
        raise ValueError(f"reference {reference!r} does not occur (values: "
                         f"{', '.join(names[:20])})")
    elif counts[reference] < min_rows:
        raise ValueError(f"reference {reference!r} has {counts[reference]} rows, fewer than "
                         f"the minimum {min_rows}")
    ref = masks[reference]
    outcomes = None
    if y is not None:
        y = np.asarray(y, dtype=float)
        outcomes = np.isfinite(y)
    groups = []
    for g in names:
        m = masks[g]
        if counts[g] < min_rows:
            groups.append(_untested(g, counts[g], m, approved, known.sum()))
            continue
        row: dict[str, Any] = {"group": g, "n": counts[g], "share": counts[g] / known.sum(),
                               "approval_rate": float(approved[m].mean()),
                               "reference": g == reference, "tested": True,
                               "mean_score": float(score[m].mean())}
        row["air"] = adverse_impact(int(approved[m].sum()), counts[g], int(approved[ref].sum()),
                                    counts[reference], threshold=threshold, alpha=alpha)
        if g == reference:
            row["air"]["flag"] = False
        row["smd"] = standardised_mean_difference(score[m], score[ref])
        row["auc"] = row["calibration"] = None
        if outcomes is not None and y is not None:
            lab = m & outcomes
            yy = y[lab]
            if yy.size and 0 < yy.sum() < yy.size:
                row["auc"] = delong_auc(yy.astype(int), score[lab],
                                        higher_is_riskier=False).to_dict()
            if yy.size and pd is not None:
                row["calibration"] = group_calibration(yy, np.asarray(pd, dtype=float)[lab])
        groups.append(row)
    flagged = [r["group"] for r in groups if r["tested"] and r["air"]["flag"]]
    return plain({"reference": reference, "groups": groups, "flagged": flagged})


def _order(label: str) -> tuple[float, str]:
    """Groups in the order of their leading number (age bands: ``<18``, ``18-24``, ...,
    ``65+``), then by text."""
    digits = re.match(r"^(<)?(\d+)", label)
    if digits is None:
        return (math.inf, label)
    return (float(digits.group(2)) - (0.5 if digits.group(1) else 0.0), label)


def _untested(g: str, n: int, m: np.ndarray, approved: np.ndarray, total: int,
              ) -> dict[str, Any]:
    return {"group": g, "n": n, "share": n / total if total else 0.0,
            "approval_rate": float(approved[m].mean()) if n else None, "reference": False,
            "tested": False}
