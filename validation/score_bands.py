"""The cut-off table credit policy reads: default rates and approval figures per score band.

Bands are a master scale's grades or score quantiles or given edges. The master scale is
taken by its shape (:class:`GradeScale`: ``grades``, ``score_cuts``, ``grade_index``), so
this module imports nothing of the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd


@runtime_checkable
class GradeScale(Protocol):
    """What a master scale offers: labels best first, descending score cuts, a grade index."""

    # Read-only: a frozen dataclass (scorecard.card.grades.MasterScale) satisfies it.
    @property
    def grades(self) -> tuple[str, ...]: ...

    @property
    def score_cuts(self) -> tuple[float, ...]: ...

    def grade_index(self, score: np.ndarray | float) -> np.ndarray: ...


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def score_band_table(
    y: np.ndarray,
    score: np.ndarray,
    bands: GradeScale | int | Sequence[float] = 10,
) -> pd.DataFrame:
    """The cut-off table credit policy reads: per score band, best band first.

    Args:
        y: shape ``(n,)``, 0/1 with 1 = default.
        score: shape ``(n,)``, points (higher = safer).
        bands: a master scale (:class:`GradeScale`, one band per grade), an int (that many
            equal-frequency score bands from the score's quantiles, ties kept together), or
            ascending inner score edges (bands ``[e_i, e_{i+1})``).

    Returns:
        One row per non-empty band, best (highest score) first, columns:

        * ``band`` label; ``cutoff``: approving ``score >= cutoff`` approves this band and all
          better ones (the band's lower edge; for the worst band its lowest observed score);
          ``score_min``/``score_max`` observed in the band.
        * ``n``, ``defaults``, ``default_rate``, ``share`` (of all applicants).
        * Approving from the top down to this band: ``cum_share`` (approval rate),
          ``cum_defaults`` (share of all defaults approved), ``cum_default_rate`` (default rate
          of the approved book). The first two end at 1 on the last row.
        * Rejecting from the bottom up to this band: ``reject_share`` (share rejected),
          ``captured_defaults`` (share of all defaults rejected, i.e. the recall of bads;
          1 on the first row), ``reject_precision`` (default rate among the rejected).
    """
    y = np.asarray(y)
    s = np.asarray(score, dtype=np.float64)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError("y and score must be 1-D of the same shape")
    if not np.isin(y, (0, 1)).all() or y.size == 0:
        raise ValueError("y must be a non-empty 0/1 array")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    y = y.astype(np.int64)

    if isinstance(bands, GradeScale):
        idx = bands.grade_index(s)  # 0 = best
        labels = list(bands.grades)
        lower = [*bands.score_cuts, -np.inf]
    else:
        if isinstance(bands, int | np.integer):
            if bands < 1:
                raise ValueError("bands must be >= 1")
            edges = np.unique(np.quantile(s, np.arange(1, bands) / bands))
        else:
            edges = np.asarray(bands, dtype=np.float64)
            if edges.size and np.any(np.diff(edges) <= 0):
                raise ValueError("band edges must be strictly increasing")
        k = edges.size + 1
        idx = k - 1 - np.searchsorted(edges, s, side="right")  # 0 = highest band
        lo_edges = np.r_[-np.inf, edges][::-1]
        hi_edges = np.r_[edges, np.inf][::-1]
        labels = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in zip(lo_edges, hi_edges, strict=True)]
        lower = list(lo_edges)

    k = len(labels)
    n = np.bincount(idx, minlength=k)
    d = np.bincount(idx, weights=y, minlength=k).astype(np.int64)
    keep = n > 0
    smin = np.full(k, np.nan)
    smax = np.full(k, np.nan)
    np.fmin.at(smin, idx, s)
    np.fmax.at(smax, idx, s)
    cutoff = np.where(np.isfinite(lower), lower, smin)

    n, d = n[keep], d[keep]
    total_n, total_d = n.sum(), d.sum()
    cn, cd = np.cumsum(n), np.cumsum(d)
    rn = np.cumsum(n[::-1])[::-1]  # this band and every worse one
    rd = np.cumsum(d[::-1])[::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        captured = rd / total_d if total_d > 0 else np.zeros(len(n))
        cum_defaults = cd / total_d if total_d > 0 else np.zeros(len(n))
    return pd.DataFrame(
        {
            "band": [lab for lab, kp in zip(labels, keep, strict=True) if kp],
            "cutoff": cutoff[keep],
            "score_min": smin[keep],
            "score_max": smax[keep],
            "n": n,
            "defaults": d,
            "default_rate": d / n,
            "share": n / total_n,
            "cum_share": cn / total_n,
            "cum_defaults": cum_defaults,
            "cum_default_rate": cd / cn,
            "reject_share": rn / total_n,
            "captured_defaults": captured,
            "reject_precision": rd / rn,
        }
    )
