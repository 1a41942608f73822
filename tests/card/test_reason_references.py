"""The ``average`` and ``cutoff`` reason references against a brute-force oracle.

The oracle enumerates every combination of bins of a small card (characteristics
independent, each bin as likely as its count share), keeps the combinations whose total
score lies within ``+-width`` of the cut-off (widening by ``window`` until one does) and
averages each characteristic's points over them: the definition of
:func:`scorecard.card.reasons.cutoff_points`, computed the slow way.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from scorecard.card.reasons import (
    CUTOFF_WINDOW,
    ReasonError,
    average_points,
    cutoff_points,
    reason_entry,
    reference_points,
)


def _card(*features: list[tuple[int, int]]) -> dict[str, Any]:
    """A card reduced to what the references read: ``(points, count)`` per bin."""
    return {"features": [{"name": f"f{j}", "bins": [{"points": p, "count": c} for p, c in bins]}
                         for j, bins in enumerate(features)]}


def _oracle(card: dict[str, Any], cutoff: float, window: int) -> list[float]:
    feats = [[(b["points"], b["count"] / sum(x["count"] for x in f["bins"])) for b in f["bins"]]
             for f in card["features"]]
    combos = [(sum(p for p, _ in combo), math.prod(q for _, q in combo), combo)
              for combo in itertools.product(*feats)]
    width = window
    while True:
        inside = [c for c in combos if cutoff - width <= c[0] <= cutoff + width and c[1] > 0]
        if inside:
            break
        width += max(window, 1)
    mass = sum(q for _, q, _ in inside)
    return [sum(q * combo[j][0] for _, q, combo in inside) / mass
            for j in range(len(feats))]


CARDS = {
    "three": _card([(30, 60), (10, 30), (20, 10)], [(25, 80), (5, 20), (15, 0)],
                   [(12, 5), (3, 7), (0, 2), (7, 1)]),
    "negative": _card([(-30, 3), (-12, 5), (-4, 2)], [(-20, 1), (-2, 4)], [(-9, 2), (-1, 1)]),
    "sparse": _card([(0, 1), (40, 1)], [(0, 3), (17, 1)], [(1, 1), (60, 2)]),
}


@pytest.mark.parametrize("window", [0, 1, CUTOFF_WINDOW, 12])
@pytest.mark.parametrize("name", sorted(CARDS))
def test_cutoff_references_equal_the_brute_force_definition(name: str, window: int) -> None:
    card = CARDS[name]
    scores = [sum(c) for c in itertools.product(*[[b["points"] for b in f["bins"]]
                                                  for f in card["features"]])]
    lo, hi = min(scores), max(scores)
    # every integer cut-off of the range and around it, and fractional and far ones
    for cutoff in (*range(lo - 3, hi + 4), lo - 300, lo - 7.5, (lo + hi) / 2 + 0.5,
                   hi + 0.25, hi + 250):
        got = cutoff_points(card, cutoff, window)
        want = _oracle(card, cutoff, window)
        assert got == pytest.approx(want, abs=0.005 + 1e-9), (cutoff, window)


def test_the_default_cutoff_window_is_five_points() -> None:
    card = CARDS["three"]
    assert CUTOFF_WINDOW == 5
    for cutoff in (20, 33, 41, 58):
        assert cutoff_points(card, cutoff) == cutoff_points(card, cutoff, 5)
        assert cutoff_points(card, cutoff) == pytest.approx(_oracle(card, cutoff, 5),
                                                            abs=0.005 + 1e-9)
    assert cutoff_points(card, 41) != cutoff_points(card, 41, 6)


def test_the_average_reference_is_rounded_to_hundredths() -> None:
    # (10 * 1 + 21 * 2) / 3 = 17.333...; (-5 * 1 + 0 * 0) / 1 = -5.
    card = _card([(10, 1), (21, 2)], [(-5, 1), (7, 0)])
    assert average_points(card) == [17.33, -5.0]
    assert reference_points(card, "average") == [17.33, -5.0]


def test_a_characteristic_whose_bins_all_have_zero_count_has_no_average() -> None:
    with pytest.raises(ReasonError, match="f1: the card has no bin counts"):
        average_points(_card([(10, 1)], [(3, 0), (4, 0)]))
    assert average_points(_card([(10, 1), (0, 0)])) == [10.0]  # a single row counts


def test_points_below_an_unrounded_reference_are_rounded_to_hundredths() -> None:
    from scorecard.card.artifact import seal
    from scorecard.card.engine import ScoringEngine
    from tests.support.builders import EXACT_CARD

    engine = ScoringEngine(seal(dict(EXACT_CARD)))
    entry = reason_entry(engine, 1, 1, 10, "C", "average", 19.5555)
    assert entry["points_below_reference"] == 9.56
    assert entry["text"] == ("Customer segment: C scores 9.56 points below the average "
                             "applicant (19.56 points).")
    assert np.isclose(entry["reference"], 19.5555)


def test_a_negative_window_counts_as_zero() -> None:
    card = CARDS["three"]
    for cutoff in (30, 33, 37.5):
        assert cutoff_points(card, cutoff, -4) == cutoff_points(card, cutoff, 0)
