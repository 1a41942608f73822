"""Reason codes (adverse-action reasons): why an applicant scored low (numpy + stdlib).

For each characteristic, the points lost are a *reference* of that characteristic minus
the points received. The reasons are the characteristics with the largest loss, ties broken
by card order, at most ``top`` (4) of them and only those with a loss > 0: a characteristic
that did not lower the score against its reference is never a reason. The code of a reason
is the characteristic's stable ``reason_code`` (``K24`` ...: its position in the contract);
its text names the characteristic, the applicant's bin and the points below the reference.
The rule is written once (:mod:`scorecard.card.ranking`) and applied by both
:func:`top_reasons` (a batch, vectorised) and :func:`~scorecard.card.ranking.row_reasons`
(one applicant, no numpy: the API's :class:`~scorecard.card.engine.RowScorer`).

The reference is the *reason method* (:data:`REASON_METHODS`, the service's
``SCORECARD_REASON_METHOD``), computed once per card by :func:`reference_points`:

``max`` (default)
    the characteristic's best attainable points (``max_points``): "points lost against the
    best band". Integer.
``average``
    the population average points of the characteristic: the count-weighted mean of its
    bins' points, weights the development-sample ``count`` of each bin in the artifact.
``cutoff``
    the points of the average applicant *at the cut-off*: the mean points of the
    characteristic among development applicants whose total score is within
    ``+-CUTOFF_WINDOW`` (5) points of the cut-off score. The artifact holds per-bin counts,
    not applicants, so the mean is derived from the counts under independence of the
    characteristics: with ``P_j`` the count distribution of characteristic j's points and
    ``S`` the sum of independent draws (a convolution of integer points, exact),
    ``E[p_j | |S - c| <= 5] = sum_v v P_j(v) P(|S_-j + v - c| <= 5) / P(|S - c| <= 5)``.
    When no score within the window has positive probability (a cut-off beyond the card's
    range) the window widens by 5 points at a time until one has.

An interaction (two-dimensional) characteristic is one more characteristic here: its bin is
its cell, its loss its best cell's points minus the cell's, its code its own
``reason_code``; the reason's ``value`` is ``None`` (two columns make it, and the cell's
label names both parents' bins). A derived characteristic's reason shows the value of the
input column it reads (:func:`reason_value`).

``average`` and ``cutoff`` references are rounded to 0.01 points (so the losses and the
texts are stable); both need the bins' ``count`` (:class:`ReasonError` otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from scorecard.card.engine import UNSEEN, ScoredRows, ScoringEngine
from scorecard.card.ranking import TOP_REASONS, row_reasons, top_ranked
from scorecard.errors import UsageError

REASON_METHODS = ("max", "cutoff", "average")
CUTOFF_WINDOW = 5


class ReasonError(UsageError):
    """A reason method that cannot be computed for this card (or an unknown method)."""


def top_reasons(engine: ScoringEngine, result: ScoredRows, top: int = TOP_REASONS,
                reference: Sequence[float] | None = None) -> np.ndarray:
    """Card positions of the reasons of each row, shape (n, top); -1 where fewer apply.
    ``reference``: points per characteristic (:func:`reference_points`; default the best
    attainable points, method ``max``)."""
    ref = (engine.max_points_.astype(result.points.dtype) if reference is None
           else np.asarray(reference, dtype=float))
    # (k, n): the engine fills points a characteristic at a time, so this is contiguous
    return top_ranked(ref[:, None] - result.points.T, top)


def reason_details(engine: ScoringEngine, result: ScoredRows, row: int,
                   values: dict[str, Any], top: int = TOP_REASONS) -> list[dict[str, Any]]:
    """Reason codes of one scored row, each as a plain dict (code, characteristic, value,
    bin, points, attainable, points_lost, text)."""
    lost = [int(m) - int(p) for m, p in zip(engine.max_points_, result.points[row], strict=True)]
    return [reason_entry(engine, j, int(result.bin_table()[row, j]), int(result.points[row, j]),
                         reason_value(engine.inputs_[j], values))
            for j in row_reasons(lost, top)]


def reason_value(inputs: Sequence[str], values: Mapping[str, Any]) -> Any:
    """The value a reason shows, from one row's ``values`` (column -> value): the one
    input column's (a derived characteristic's input: the income its rounding reads), or
    ``None`` for an interaction (``inputs``: the characteristic's input columns,
    :attr:`~scorecard.card.engine.ScoringEngine.inputs_`)."""
    return values.get(inputs[0]) if len(inputs) == 1 else None


def bin_label(feature: dict[str, Any], index: int) -> str:
    if index == UNSEEN:
        return "unseen category"
    return str(feature["bins"][index]["label"])


def reason_entry(engine: ScoringEngine, j: int, bin_index: int, points: int,
                 value: Any, method: str = "max",
                 reference: float | None = None) -> dict[str, Any]:
    """One reason: the j-th characteristic of the card, its bin and points for a row, the
    loss against ``reference`` (the method's points of characteristic j; default its best
    attainable points). ``attainable`` and ``points_lost`` are always against the best."""
    f = engine.artifact["features"][j]
    attainable = int(engine.max_points_[j])
    ref = float(attainable if reference is None else reference)
    label = bin_label(f, bin_index)
    best = bin_label(f, int(f["best_bin"]))
    what = f.get("description") or f["name"]
    what = f"{what[0].upper()}{what[1:]}"
    below = round(ref - points, 2)
    if method == "max":
        text = f"{what}: {label} scores {attainable - points} points below the best band ({best})."
    elif method == "cutoff":
        text = (f"{what}: {label} scores {number(below)} points below the average applicant "
                f"at the cut-off ({number(ref)} points).")
    else:
        text = (f"{what}: {label} scores {number(below)} points below the average applicant "
                f"({number(ref)} points).")
    return {
        "code": f["reason_code"],
        "characteristic": f["name"],
        "value": value,
        "bin": label,
        "points": points,
        "attainable": attainable,
        "points_lost": attainable - points,
        "method": method,
        "reference": ref,
        "points_below_reference": below,
        "text": text,
    }


def number(x: float) -> str:
    """A number of points as a text shows it: integers plain, else at most two decimals."""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0")


# ------------------------------------------------------------------ reason references


def _counts(f: dict[str, Any]) -> tuple[list[int], list[float]]:
    """``(points, count)`` of the bins of a characteristic; ReasonError without counts."""
    counts = [b.get("count") for b in f["bins"]]
    if any(c is None for c in counts) or sum(counts) <= 0:
        raise ReasonError(f"{f['name']}: the card has no bin counts, so its average points "
                          "are unknown (use the reason method 'max')")
    return [int(b["points"]) for b in f["bins"]], [float(c) for c in counts]


def _distribution(f: dict[str, Any]) -> tuple[int, np.ndarray]:
    """``(lowest points, probabilities of lowest..highest points)`` from the bin counts."""
    points, counts = _counts(f)
    lo = min(points)
    dist = np.zeros(max(points) - lo + 1)
    for p, c in zip(points, counts, strict=True):
        dist[p - lo] += c
    return lo, dist / dist.sum()


def average_points(artifact: dict[str, Any]) -> list[float]:
    """Count-weighted mean points of each characteristic, rounded to 0.01."""
    out = []
    for f in artifact["features"]:
        points, counts = _counts(f)
        out.append(round(sum(p * c for p, c in zip(points, counts, strict=True))
                         / sum(counts), 2))
    return out


def cutoff_points(artifact: dict[str, Any], cutoff_score: float,
                  window: int = CUTOFF_WINDOW) -> list[float]:
    """Mean points of each characteristic among applicants scoring within ``+-window`` of
    ``cutoff_score``, under independence of the characteristics (module docstring)."""
    dists = [_distribution(f) for f in artifact["features"]]
    k = len(dists)
    # Sum distributions without characteristic j, from prefix and suffix convolutions.
    prefix: list[tuple[int, np.ndarray]] = [(0, np.ones(1))]
    for lo, d in dists:
        plo, pd_ = prefix[-1]
        prefix.append((plo + lo, np.convolve(pd_, d)))
    suffix: list[tuple[int, np.ndarray]] = [(0, np.ones(1))]
    for lo, d in reversed(dists):
        slo, sd = suffix[-1]
        suffix.append((slo + lo, np.convolve(sd, d)))
    suffix.reverse()
    total_lo, total = prefix[-1]
    width = max(int(window), 0)
    while True:
        lo_s, hi_s = math.ceil(cutoff_score - width), math.floor(cutoff_score + width)
        a, b = max(lo_s - total_lo, 0), min(hi_s - total_lo, len(total) - 1)
        mass = float(total[a:b + 1].sum()) if a <= b else 0.0
        if mass > 1e-300 or width > len(total) + abs(cutoff_score - total_lo):
            break
        width += max(int(window), 1)
    if mass <= 1e-300:  # pragma: no cover - the widened window always covers the range
        raise ReasonError("the cut-off reference is undefined: no score has positive count")
    out = []
    for j in range(k):
        rest_lo = prefix[j][0] + suffix[j + 1][0]
        rest = np.convolve(prefix[j][1], suffix[j + 1][1])
        cum = np.concatenate([[0.0], np.cumsum(rest)])
        lo_j, d = dists[j]
        mean = 0.0
        for i, pj in enumerate(d):
            if pj == 0.0:
                continue
            v = lo_j + i
            # P(lo_s <= rest + v <= hi_s)
            a = min(max(lo_s - v - rest_lo, 0), len(rest))
            b = min(max(hi_s - v - rest_lo + 1, 0), len(rest))
            mean += v * pj * (cum[b] - cum[a])
        out.append(round(float(mean / mass), 2))
    return out


def reference_points(artifact: dict[str, Any], method: str,
                     cutoff_score: float | None = None) -> list[float]:
    """The reference points of each characteristic under ``method`` (module docstring);
    ``cutoff`` needs the cut-off score. Raises ReasonError."""
    if method == "max":
        return [float(f["max_points"]) for f in artifact["features"]]
    if method == "average":
        return average_points(artifact)
    if method == "cutoff":
        if cutoff_score is None:
            raise ReasonError("the reason method 'cutoff' needs a cut-off (a decision policy)")
        return cutoff_points(artifact, cutoff_score)
    raise ReasonError(f"unknown reason method {method!r}: use one of "
                      f"{', '.join(REASON_METHODS)}")
