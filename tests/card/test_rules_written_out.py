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
from tests.support.builders import EXACT_CARD


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


def test_the_ladder_needs_a_first_pd_strictly_inside_zero_one_and_a_ratio_above_one() -> None:
    for first, ratio in ((0.0, 2.0), (1.0, 2.0), (0.01, 1.0)):
        with pytest.raises(ValueError, match="need 0 < first < 1 and ratio > 1"):
            geometric_pd_boundaries(3, first=first, ratio=ratio)
    assert geometric_pd_boundaries(3, first=0.01, ratio=1.5) == pytest.approx((0.01, 0.015))


def test_a_ladder_whose_last_boundary_reaches_pd_one_is_refused() -> None:
    # 0.25, 0.5, 1.0: exactly 1 is refused; 0.2, 0.4, 0.8 is the largest that fits.
    with pytest.raises(ValueError, match="reaches pd 1 >= 1"):
        geometric_pd_boundaries(4, first=0.25, ratio=2.0)
    with pytest.raises(ValueError, match=r"reaches pd 1\.6 >= 1"):
        geometric_pd_boundaries(6, first=0.1, ratio=2.0)  # 0.1, 0.2, 0.4, 0.8, 1.6
    assert geometric_pd_boundaries(4, first=0.2, ratio=2.0) == pytest.approx((0.2, 0.4, 0.8))


def test_the_default_ladder_has_eight_grades_and_keeps_a_given_scaling() -> None:
    assert geometric_pd_boundaries() == pytest.approx(
        (0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16), rel=1e-15)
    scale = MasterScale.from_pd_ladder(scaling=Scaling(pdo=40.0))
    assert scale.n_grades == 8 and scale.scaling == Scaling(pdo=40.0)
    assert MasterScale.from_pd_ladder(3).grades == ("A", "B", "C")


@pytest.mark.parametrize(("bounds", "nominal"), [
    # one boundary: both ends use the fallback ratio 2 -> (0.1 / 2, min(0.2, 0.55)).
    ((0.1,), (0.05, 0.2)),
    # ratio 3 at both ends: (0.01 / 3, sqrt(0.01 * 0.09) = 0.03, 0.09 * 3).
    ((0.01, 0.09), (0.01 / 3, 0.03, 0.27)),
    # first ratio sqrt(2), last ratio sqrt(0.08 / 0.02) = 2.
    ((0.01, 0.02, 0.08), (0.01 / math.sqrt(2), math.sqrt(0.0002), 0.04, 0.16)),
])
def test_nominal_pd_uses_the_adjacent_boundary_ratio_at_each_open_end(
        bounds: tuple[float, ...], nominal: tuple[float, ...]) -> None:
    grades = tuple("ABCD"[:len(bounds) + 1])
    assert MasterScale(grades, bounds).nominal_pd() == pytest.approx(nominal, rel=1e-12)


def test_the_master_scale_table_is_written_out() -> None:
    s = Scaling()
    scale = MasterScale(("A", "B", "C"), (0.01, 0.09))
    cut_a, cut_b = float(s.score(0.01)), float(s.score(0.09))
    assert scale.table() == [
        {"grade": "A", "pd_low": 0.0, "pd_high": 0.01, "pd_nominal": pytest.approx(0.01 / 3),
         "score_low": cut_a, "score_high": None},
        {"grade": "B", "pd_low": 0.01, "pd_high": 0.09, "pd_nominal": pytest.approx(0.03),
         "score_low": cut_b, "score_high": cut_a},
        {"grade": "C", "pd_low": 0.09, "pd_high": 1.0, "pd_nominal": pytest.approx(0.27),
         "score_low": None, "score_high": cut_b},
    ]


def _two_code_card() -> dict:
    """EXACT_CARD with balance codes -2 (bin 3, 12 points) and -1 (bin 5, 3 points)."""
    from scorecard.card.artifact import seal

    card = json.loads(json.dumps(EXACT_CARD))
    bins = card["features"][0]["bins"]
    bins.append({"index": 5, "type": "special", "label": "code -1", "points": 3,
                 "codes": [-1.0]})
    bins[3]["codes"], bins[3]["label"] = [-2.0], "code -2"
    return seal(card)


def test_every_special_code_is_found_by_both_paths_including_the_largest() -> None:
    from scorecard.card.engine import RowScorer

    engine = ScoringEngine(_two_code_card())
    values = [-2.0, -1.0, -1.5, 0.0, 99.0, 100.0]
    result = engine.score({"balance": values, "segment": ["A"] * 6, "has_paid": [True] * 6})
    assert result.bins[:, 0].tolist() == [3, 5, 0, 0, 0, 1]
    assert result.points[:, 0].tolist() == [12, 3, 30, 30, 30, 20]
    row = RowScorer(engine)
    assert [row.score({"balance": v, "segment": "A", "has_paid": True})[0][0]
            for v in values] == [3, 5, 0, 0, 0, 1]


def test_a_one_characteristic_card_scores_its_rows() -> None:
    from scorecard.card.artifact import seal

    card = json.loads(json.dumps(EXACT_CARD))
    card["features"] = card["features"][1:2]  # segment only
    engine = ScoringEngine(seal(card))
    result = engine.score({"segment": ["A", "C", None, "Z"]})
    assert result.points.tolist() == [[25], [10], [15], [4]]
    assert result.score.tolist() == [25, 10, 15, 4]


def test_the_row_scorer_tables_cover_every_score_the_card_can_give() -> None:
    from scorecard.card.artifact import seal
    from scorecard.card.engine import RowScorer

    engine = ScoringEngine(seal(dict(EXACT_CARD)))
    scale = MasterScale(("A", "B"), (0.05,))
    row = RowScorer(engine, scale)
    # lowest 5 + 4 + 2 = 11, highest 30 + 25 + 18 = 73
    assert (row.lo, len(row.pd_table)) == (11, 63)
    assert row.pd_table == engine.scaling_.pd(np.arange(11, 74)).tolist()
    cut = scale.score_cuts[0]
    assert row.grade_table == ["A" if s >= cut else "B" for s in range(11, 74)]
    assert RowScorer(engine).grade_table is None
