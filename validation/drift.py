"""Drift statistics of a served card (``scorecard monitor``): one period against its
development sample.

Everything population-side works on *counts* (per score band, per characteristic bin, per
grade), so the same figures come from applicant rows (``scorecard monitor --input``) and from
the service's Prometheus counters (``--metrics``): equal counts give equal figures.

* PSI / CSI: :func:`psi_counts` (the formula and share floor of :mod:`validation.stability`),
  read with the usual traffic lights: < 0.10 green, 0.10-0.25 amber, >= 0.25 red.
* Concentration of the grade distribution: :func:`herfindahl`, ``H = sum_g s_g^2`` over grade
  shares (``1/G`` when even, 1 when every applicant sits in one grade), and its normalised
  form ``(H - 1/G) / (1 - 1/G)`` in [0, 1].
* Discrimination against development: :func:`auc_against_reference`, a one-sample z-test
  ``z = (AUC - AUC_dev) / se_DeLong(AUC)`` that treats the development AUC as a fixed number
  (its own sampling error is ignored, which makes the test slightly liberal) and reads the
  one-sided ``p = Phi(z)``: small p = the card ranks worse than at development.
* Calibration in the large: :func:`default_rate_test`, the observed defaults against the sum
  of the predicted pds, ``z = (d - sum p) / sqrt(sum p (1 - p))`` (normal approximation of
  the Poisson-binomial), two-sided p.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from validation.discrimination import delong_auc
from validation.stability import EPS, _psi_from_counts, psi_status

ALPHA = 0.01  # significance level of the alerting tests (AUC, default rate)


def light(value: float) -> str:
    """``green`` / ``amber`` / ``red`` for a PSI or CSI (0.10 / 0.25)."""
    return {"stable": "green", "moderate": "amber", "significant": "red"}[psi_status(value)]


def psi_counts(reference: Sequence[int], current: Sequence[int], *,
               eps: float = EPS) -> dict[str, Any]:
    """PSI between two count vectors over the same bins (shares floored at ``eps``).

    Returns ``psi``, ``light``, and per bin ``ref_share``, ``share``, ``contribution``.
    A bin empty on both sides contributes 0.
    """
    r = np.asarray(reference, dtype=float)
    c = np.asarray(current, dtype=float)
    if r.shape != c.shape or r.ndim != 1:
        raise ValueError("reference and current counts must have the same length")
    if r.sum() <= 0 or c.sum() <= 0:
        raise ValueError("reference and current counts must not be all zero")
    value, rs, cs, contrib = _psi_from_counts(r, c, eps)
    return {"psi": value, "light": light(value), "ref_share": rs.tolist(),
            "share": cs.tolist(), "contribution": contrib.tolist()}


def herfindahl(counts: Sequence[int]) -> dict[str, float]:
    """Herfindahl index of a distribution over ``G`` classes: raw and normalised."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 1 or c.size < 2 or c.sum() <= 0:
        raise ValueError("need at least two classes and a positive total")
    s = c / c.sum()
    h = float((s * s).sum())
    g = c.size
    return {"hhi": h, "hhi_normalised": (h - 1.0 / g) / (1.0 - 1.0 / g)}


@dataclass(frozen=True)
class AUCTest:
    """Current AUC (DeLong CI) against the fixed development AUC."""

    auc: float
    gini: float
    se: float
    ci_low: float
    ci_high: float
    reference_auc: float
    z: float
    p_value: float  # one-sided, H1: current AUC < development AUC
    alert: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def auc_against_reference(y: np.ndarray, score: np.ndarray, reference_auc: float, *,
                          higher_is_riskier: bool = False, alpha: float = ALPHA) -> AUCTest:
    """One-sample z-test of the current AUC against ``reference_auc`` (module docstring)."""
    r = delong_auc(y, score, higher_is_riskier=higher_is_riskier)
    if r.se > 0:
        z = (r.auc - reference_auc) / r.se
        p = float(stats.norm.cdf(z))
    else:  # a perfectly separated (or degenerate) sample: no variance to test with
        z = 0.0 if r.auc == reference_auc else math.copysign(math.inf, r.auc - reference_auc)
        p = 1.0 if r.auc >= reference_auc else 0.0
    return AUCTest(auc=r.auc, gini=r.gini, se=r.se, ci_low=r.ci_low, ci_high=r.ci_high,
                   reference_auc=float(reference_auc), z=float(z), p_value=p,
                   alert=bool(p < alpha))


def default_rate_test(y: np.ndarray, p: np.ndarray, *, alpha: float = ALPHA) -> dict[str, Any]:
    """Observed default rate against the mean predicted pd (module docstring)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.size == 0 or y.shape != p.shape:
        raise ValueError("y and p must be non-empty and of the same shape")
    d, expected = float(y.sum()), float(p.sum())
    sd = math.sqrt(float((p * (1.0 - p)).sum()))
    z = (d - expected) / sd if sd > 0 else 0.0
    pv = float(2.0 * stats.norm.sf(abs(z)))
    return {"n": int(y.size), "defaults": int(d), "default_rate": d / y.size,
            "mean_pd": expected / y.size, "z": z, "p_value": pv, "alert": bool(pv < alpha)}
