"""The reason-ranking rule, once: which characteristics explain a score, in which order.

Larger loss (best attainable points minus points received) first, card order on ties, only
characteristics that lost points, at most ``top``. Plain Python that works on ints and on
numpy arrays alike, so the batch path (:func:`scorecard.card.reasons.top_reasons`) and the
one-applicant path (:func:`row_reasons`, used by the engine's ``RowScorer``) share it.
Imports nothing.
"""

from __future__ import annotations

from typing import Any

TOP_REASONS = 4


def reason_rank(lost: Any, position: Any, k: int) -> Any:
    """Sort key of a characteristic as a reason, smaller first: larger (integer) loss first,
    then card ``position`` (0..k-1). Works on Python ints and numpy arrays alike."""
    return -lost * (k + 1) + position


def is_reason(lost: Any) -> Any:
    """Whether a loss makes a reason (ints or arrays): only points actually lost."""
    return lost > 0


def row_reasons(lost: list[int], top: int = TOP_REASONS) -> list[int]:
    """Card positions of the reasons of one applicant, given its loss per characteristic."""
    k = len(lost)
    order = sorted(range(k), key=lambda j: reason_rank(lost[j], j, k))[:top]
    return [j for j in order if is_reason(lost[j])]
