"""Reason codes: why an applicant did not get the best score (numpy + stdlib).

For each characteristic, the points lost are the best attainable points of that
characteristic minus the points received. The reasons are the characteristics with the
largest loss, ties broken by card order, at most ``top`` of them and only those with a
loss > 0. The rule is written once (:mod:`scorecard.card.ranking`) and applied by both
:func:`top_reasons` (a batch, vectorised) and :func:`~scorecard.card.ranking.row_reasons`
(one applicant, no numpy: the API's :class:`~scorecard.card.engine.RowScorer`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scorecard.card.engine import UNSEEN, ScoredRows, ScoringEngine
from scorecard.card.ranking import TOP_REASONS, is_reason, reason_rank, row_reasons


def top_reasons(engine: ScoringEngine, result: ScoredRows,
                top: int = TOP_REASONS) -> np.ndarray:
    """Card positions of the reasons of each row, shape (n, top); -1 where fewer apply."""
    lost = engine.max_points_[None, :] - result.points
    k = lost.shape[1]
    order = np.argsort(reason_rank(lost, np.arange(k)[None, :], k), axis=1,
                       kind="stable")[:, :top]
    chosen_loss = np.take_along_axis(lost, order, axis=1)
    return np.where(is_reason(chosen_loss), order, -1)


def reason_details(engine: ScoringEngine, result: ScoredRows, row: int,
                   values: dict[str, Any], top: int = TOP_REASONS) -> list[dict[str, Any]]:
    """Reason codes of one scored row, each as a plain dict (code, characteristic, value,
    bin, points, attainable, points_lost, text)."""
    lost = [int(m) - int(p) for m, p in zip(engine.max_points_, result.points[row], strict=True)]
    return [reason_entry(engine, j, int(result.bins[row, j]), int(result.points[row, j]),
                         values.get(engine.features_[j]))
            for j in row_reasons(lost, top)]


def bin_label(feature: dict[str, Any], index: int) -> str:
    if index == UNSEEN:
        return "unseen category"
    return str(feature["bins"][index]["label"])


def reason_entry(engine: ScoringEngine, j: int, bin_index: int, points: int,
                 value: Any) -> dict[str, Any]:
    """One reason: the j-th characteristic of the card, its bin and points for a row."""
    f = engine.artifact["features"][j]
    attainable = int(engine.max_points_[j])
    label = bin_label(f, bin_index)
    best = bin_label(f, int(f["best_bin"]))
    what = f.get("description") or f["name"]
    text = (f"{what[0].upper()}{what[1:]}: {label} scores {attainable - points} points below "
            f"the best band ({best}).")
    return {
        "code": f["reason_code"],
        "characteristic": f["name"],
        "value": value,
        "bin": label,
        "points": points,
        "attainable": attainable,
        "points_lost": attainable - points,
        "text": text,
    }
