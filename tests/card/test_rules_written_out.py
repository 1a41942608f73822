"""The card's small rules with every expected number written out (mutation-test survivors).

Each test pins one rule at its boundary or by its exact formula, so a flipped comparison,
a swapped operator or a moved constant fails a fast test.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scorecard.card.engine import UNSEEN, ScoringEngine
from scorecard.card.grades import MasterScale, geometric_pd_boundaries
from scorecard.card.reasons import bin_label, reason_entry, top_reasons
from scorecard.card.scaling import Scaling, feature_points
from tests.helpers import EXACT_CARD


def test_scaling_needs_a_positive_pdo_and_base_odds() -> None:
    for bad in ({"pdo": 0.0}, {"pdo": -1.0}, {"base_odds": 0.0}):
        with pytest.raises(ValueError, match="positive"):
            Scaling(**bad)  # type: ignore[arg-type]
    assert Scaling(pdo=1e-9, base_odds=1e-9).pdo == 1e-9


def test_feature_points_spread_intercept_and_offset_evenly() -> None:
    s = Scaling()  # factor = 20 / ln 2, offset = 600 - factor * ln 50
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    got = feature_points(-0.8, -3.0, np.array([0.5, -1.2]), 4, s)
    expected = [offset / 4 - factor * (-3.0 / 4 + -0.8 * 0.5),
                offset / 4 - factor * (-3.0 / 4 + -0.8 * -1.2)]
    assert got.tolist() == pytest.approx(expected, rel=1e-14)
    assert expected[0] == pytest.approx(154.9627, abs=1e-4)  # 121.7808 + 28.8539 * 1.15


@pytest.mark.parametrize("n", [2, 26])
def test_a_ladder_of_2_to_26_grades_is_allowed(n: int) -> None:
    assert len(geometric_pd_boundaries(n, first=0.0001, ratio=1.3)) == n - 1


@pytest.mark.parametrize("n", [1, 27])
def test_a_ladder_outside_2_to_26_grades_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="between 2 and 26"):
        geometric_pd_boundaries(n)


def test_equal_pd_boundaries_are_refused() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        MasterScale(grades=("A", "B", "C"), pd_boundaries=(0.02, 0.02))


def test_nominal_pd_is_the_geometric_mid_point_of_each_grade() -> None:
    scale = MasterScale(grades=("A", "B", "C"), pd_boundaries=(0.01, 0.04))
    # inner sqrt(0.01 * 0.04) = 0.02; ratio sqrt(0.04 / 0.01) = 2 at both ends.
    assert scale.nominal_pd() == pytest.approx((0.005, 0.02, 0.08), rel=1e-12)
    wide = MasterScale(grades=("A", "B", "C"), pd_boundaries=(0.1, 0.9))
    # worst = min(0.9 * 3, (0.9 + 1) / 2) = 0.95: capped below 1
    assert wide.nominal_pd()[-1] == pytest.approx(0.95, rel=1e-12)


def test_rows_with_fewer_reasons_are_padded_with_minus_one() -> None:
    from scorecard.card.artifact import seal

    engine = ScoringEngine(seal(dict(EXACT_CARD)))
    result = engine.score({"balance": [99.0, 100.0], "segment": ["A", "C"],
                           "has_paid": [True, True]})
    assert top_reasons(engine, result, 3).tolist() == [[-1, -1, -1], [1, 0, -1]]


def test_reason_text_names_the_bin_and_the_best_band() -> None:
    from scorecard.card.artifact import seal

    engine = ScoringEngine(seal(dict(EXACT_CARD)))
    entry = reason_entry(engine, 1, UNSEEN, 4, "D")
    assert entry == {"code": "T02", "characteristic": "segment", "value": "D",
                     "bin": "unseen category", "points": 4, "attainable": 25,
                     "points_lost": 21, "method": "max", "reference": 25.0,
                     "points_below_reference": 21.0,
                     "text": "Customer segment: unseen category scores 21 points below the "
                             "best band (A, B)."}
    assert bin_label(EXACT_CARD["features"][0], 3) == "code -1"
    card = json.loads(json.dumps(EXACT_CARD))
    card["features"][0]["description"] = ""  # the text falls back to the name
    entry = reason_entry(ScoringEngine(seal(card)), 0, 1, 20, 150.0)
    assert entry["text"] == ("Balance: [100, 500) scores 10 points below the best band "
                             "((-inf, 100)).")
