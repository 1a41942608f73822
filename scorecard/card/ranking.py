"""The reason-ranking rule, once: which characteristics explain a score, in which order.

Larger loss (best attainable points minus points received) first, card order on ties, only
characteristics that lost points, at most ``top``. Plain Python that works on ints and on
numpy arrays alike, so the batch path (:func:`scorecard.card.reasons.top_reasons`) and the
one-applicant path (:func:`row_reasons`, used by the engine's ``RowScorer``) share it.
Imports numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TOP_REASONS = 4


def reason_rank(lost: Any, position: Any, k: int) -> Any:
    """Sort key of a characteristic as a reason, smaller first: larger loss first, then card
    ``position`` (0..k-1). Only its order has a meaning: exact for integer losses; losses
    in steps of 0.01 (the rounded references of :mod:`scorecard.card.reasons`) are scaled to
    integer hundredths first. Works on Python numbers and numpy arrays alike."""
    key = _integral(lost) * -(k + 1)  # a new array (or number), so += changes no input
    key += position
    return key


def _integral(lost: Any) -> Any:
    if isinstance(lost, np.ndarray):
        if lost.dtype.kind in "iu":  # integer points: already exact, no float round trip
            return lost
        return np.rint(np.asarray(lost, dtype=float) * 100).astype(np.int64)
    return round(lost * 100)


def is_reason(lost: Any) -> Any:
    """Whether a loss makes a reason (ints or arrays): only points actually lost."""
    return lost > 0


def row_reasons(lost: Sequence[float], top: int = TOP_REASONS) -> list[int]:
    """Card positions of the reasons of one applicant, given its loss per characteristic.
    (Every reason ranks before every characteristic that lost nothing, so only the reasons
    are ranked.)"""
    k = len(lost)
    ranked = sorted((reason_rank(loss, j, k), j) for j, loss in enumerate(lost)
                    if is_reason(loss))
    return [j for _, j in ranked[:top]]


def top_ranked(lost: np.ndarray, top: int = TOP_REASONS) -> np.ndarray:
    """Card positions of the reasons of many applicants, shape (n, min(top, k)), -1 where
    fewer apply: :func:`row_reasons` for every column of ``lost`` (k, n), the loss per
    characteristic (rows) and applicant (columns).

    A characteristic at a time (k passes over n-vectors, not n small sorts), each
    applicant's ``top`` smallest :func:`reason_rank` keys are kept in sorted slots by a
    min/max exchange; a key's position is its remainder modulo ``k + 1``."""
    k, n = lost.shape
    width = min(top, k)
    exact = _integral(lost)
    # Keys in the smallest integer type they fit (a card's points fit int16): less memory
    # to stream through in each of the k * top passes.
    bound = (max(int(exact.max(initial=0)), -int(exact.min(initial=0))) + 1) * (k + 1)
    kind = next(t for t in (np.int16, np.int32, np.int64) if bound < np.iinfo(t).max)
    exact = exact.astype(kind, copy=False)
    slots = [np.full(n, np.iinfo(kind).max, dtype=kind) for _ in range(width)]
    low = np.empty(n, dtype=kind)
    for j in range(k):
        key = reason_rank(exact[j], j, k)
        for s in range(width):  # insert key: the smaller stays, the larger moves down a slot
            np.minimum(slots[s], key, out=low)
            if s < width - 1:  # what falls off the last slot is not kept
                np.maximum(slots[s], key, out=key)
            slots[s], low = low, slots[s]
    position = np.stack(slots) % (k + 1) if width else np.zeros((0, n), dtype=kind)
    chosen = np.take_along_axis(lost, position, axis=0)
    return np.ascontiguousarray(np.where(is_reason(chosen), position, -1).T)
