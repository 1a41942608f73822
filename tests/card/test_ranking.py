"""The reason-ranking rule on written-out losses: larger loss first, card order on ties,
only points actually lost, at most four (the batch and the one-applicant paths agree)."""

from __future__ import annotations

import numpy as np

from scorecard.card.ranking import TOP_REASONS, is_reason, reason_rank, row_reasons


def _batch(lost: list[float], top: int = TOP_REASONS) -> list[int]:
    """The batch path of :func:`scorecard.card.reasons.top_reasons` on one row."""
    arr = np.asarray([lost], dtype=float)
    k = arr.shape[1]
    order = np.argsort(reason_rank(arr, np.arange(k)[None, :], k), axis=1,
                       kind="stable")[0, :top]
    return [int(j) for j in order if is_reason(arr[0, j])]


def test_at_most_four_reasons_largest_loss_first() -> None:
    lost = [1, 2, 3, 4, 5]
    assert TOP_REASONS == 4
    assert row_reasons(lost) == [4, 3, 2, 1] == _batch(lost)
    assert row_reasons(lost, 5) == [4, 3, 2, 1, 0] == _batch(lost, 5)


def test_a_loss_of_one_point_is_a_reason_and_no_loss_is_not() -> None:
    assert row_reasons([1, 0, -3]) == [0] == _batch([1, 0, -3])


def test_a_hundredth_of_a_point_more_loss_outranks_an_earlier_characteristic() -> None:
    # Losses against a rounded reference (method cutoff/average) differ by 0.01: the
    # later characteristic with the larger loss still comes first.
    lost = [0.01, 0.0, 0.02]
    assert row_reasons(lost) == [2, 0] == _batch(lost)
    lost = [0.5, 0.49, 0.51, 0.5]
    assert row_reasons(lost) == [2, 0, 3, 1] == _batch(lost)


def test_equal_losses_keep_card_order() -> None:
    lost = [2.5, 7, 2.5, 7]
    assert row_reasons(lost) == [1, 3, 0, 2] == _batch(lost)
    # 14.55 computed two ways (float noise in the last bit) is still one tie.
    lost = [19.55 - 5, 17.55 - 3]
    assert row_reasons(lost) == [0, 1] == _batch(lost)
