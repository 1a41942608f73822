"""Decision policies and the three reason methods, on a two-characteristic card whose every
number is written out, and on the committed card.

The tiny card: ``bills`` (bins ``(-inf, 1)`` 30 points, count 60; ``[1, inf)`` 10 points,
count 30; Missing 20 points, count 10) and ``has_paid`` (``True`` 25 points, count 80;
``False`` 5 points, count 20; Missing 15 points, count 0).

* ``max``: references 30 and 25.
* ``average``: bills ``(30*60 + 10*30 + 20*10) / 100 = 23``; has_paid
  ``(25*80 + 5*20 + 15*0) / 100 = 21``.
* ``cutoff`` at 40 (window 35..45), characteristics independent: the totals are
  55 (0.6*0.8 = 0.48), 35 (0.6*0.2 + 0.3*0.8 = 0.12 + 0.24), 15 (0.06), 45 (0.1*0.8 = 0.08),
  25 (0.02); in the window 35 and 45, mass 0.44. bills: ``(30*0.12 + 10*0.24 + 20*0.08) /
  0.44 = 7.6 / 0.44 = 17.2727`` -> 17.27; has_paid: ``(5*0.12 + 25*0.24 + 25*0.08) / 0.44 =
  8.6 / 0.44 = 19.5454`` -> 19.55.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from scorecard.card.artifact import SCHEMA_VERSION, load_artifact, master_scale, seal
from scorecard.card.decisions import PolicyError, make_policy
from scorecard.card.engine import ScoringEngine
from scorecard.card.reasons import (
    ReasonError,
    reason_entry,
    reference_points,
    row_reasons,
    top_reasons,
)
from scorecard.card.scaling import Scaling
from tests.support.paths import REPO


def _col(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    base = {"name": name, "kind": kind, "nullable": True, "min": None, "max": None,
            "max_exclusive": False, "allowed": None, "csv_format": "text", "description": name}
    return {**base, **extra}


def _card(with_counts: bool = True) -> dict[str, Any]:
    def b(i: int, kind: str, label: str, points: int, count: int, **extra: Any) -> dict:
        out = {"index": i, "type": kind, "label": label, "points": points, **extra}
        if with_counts:
            out["count"] = count
        return out

    return seal({
        "schema_version": SCHEMA_VERSION,
        "spec": {"name": "tiny", "contract": "tiny", "actionable": ["bills"]},
        "id_column": "uuid",
        "input_contract": [_col("uuid", "id", nullable=False),
                           _col("bills", "integer", min=0, csv_format="int"),
                           _col("has_paid", "boolean", csv_format="bool")],
        "scaling": Scaling().to_dict(),
        "pd_formula": "pd = 1 / (1 + exp((score - offset) / factor))",
        "intercept": 0.0,
        "features": [
            {"name": "bills", "kind": "numeric", "description": "unpaid bills",
             "reason_code": "T01", "splits": [1.0], "unseen_points": 0, "max_points": 30,
             "best_bin": 0,
             "bins": [b(0, "regular", "(-inf, 1)", 30, 60), b(1, "regular", "[1, inf)", 10, 30),
                      b(2, "missing", "Missing", 20, 10)]},
            {"name": "has_paid", "kind": "categorical", "description": "has paid before",
             "reason_code": "T02", "splits": None, "unseen_points": 0, "max_points": 25,
             "best_bin": 0,
             "bins": [b(0, "regular", "True", 25, 80, categories=["True"]),
                      b(1, "regular", "False", 5, 20, categories=["False"]),
                      b(2, "missing", "Missing", 15, 0)]},
        ],
        "master_scale": {},
        "metadata": {},
    })


CARD = _card()
# applicant -> reason codes under (max, average, cutoff at 40), worked out by hand.
CASES = [
    # bills 10 points, has_paid 5: losses max (20, 20): a tie, card order;
    # average (13, 16); cutoff (7.27, 14.55).
    ({"bills": 2, "has_paid": False}, ["T01", "T02"], ["T02", "T01"], ["T02", "T01"]),
    # bills 30 points: no loss against any reference; has_paid 5 loses 20 / 16 / 14.55.
    ({"bills": 0, "has_paid": False}, ["T02"], ["T02"], ["T02"]),
    # bills missing, 20 points: max loss 10, average 3, cutoff 17.27 - 20 < 0 (no reason).
    ({"bills": None, "has_paid": True}, ["T01"], ["T01"], []),
]


def test_the_references_are_the_hand_computed_ones() -> None:
    assert reference_points(CARD, "max") == [30.0, 25.0]
    assert reference_points(CARD, "average") == [23.0, 21.0]
    assert reference_points(CARD, "cutoff", 40) == [17.27, 19.55]


@pytest.mark.parametrize("case", CASES)
def test_each_reason_method_picks_the_hand_computed_reasons(case: tuple[Any, ...]) -> None:
    applicant, want_max, want_average, want_cutoff = case
    engine = ScoringEngine(CARD)
    result = engine.score({k: [v] for k, v in applicant.items()})
    codes = [f["reason_code"] for f in CARD["features"]]
    for method, want in (("max", want_max), ("average", want_average),
                         ("cutoff", want_cutoff)):
        ref = reference_points(CARD, method, 40)
        picks = top_reasons(engine, result, 4, None if method == "max" else ref)[0]
        assert [codes[j] for j in picks if j >= 0] == want, method
        lost = [r - p for r, p in zip(ref, result.points[0].tolist(), strict=True)]
        assert [codes[j] for j in row_reasons(lost)] == want, method


def test_the_reason_texts_state_the_method_and_its_numbers() -> None:
    engine = ScoringEngine(CARD)
    entry = reason_entry(engine, 1, 1, 5, False, "cutoff", 19.55)
    assert entry["text"] == ("Has paid before: False scores 14.55 points below the average "
                             "applicant at the cut-off (19.55 points).")
    assert (entry["points_below_reference"], entry["points_lost"]) == (14.55, 20)
    entry = reason_entry(engine, 1, 1, 5, False, "average", 21.0)
    assert entry["text"] == ("Has paid before: False scores 16 points below the average "
                             "applicant (21 points).")
    assert reason_entry(engine, 1, 1, 5, False)["text"] == (
        "Has paid before: False scores 20 points below the best band (True).")


def test_average_and_cutoff_references_need_bin_counts() -> None:
    with pytest.raises(ReasonError, match="bills: the card has no bin counts"):
        reference_points(_card(with_counts=False), "average")
    with pytest.raises(ReasonError, match="needs a cut-off"):
        reference_points(CARD, "cutoff")
    with pytest.raises(ReasonError, match="unknown reason method 'best'"):
        reference_points(CARD, "best")


def test_a_cutoff_beyond_the_card_widens_the_window_until_it_holds_scores() -> None:
    # Scores run 15..55: at 100 the window grows to 45 points, reaching 55 (bills 30,
    # has_paid 25) only.
    assert reference_points(CARD, "cutoff", 100) == [30.0, 25.0]


def test_the_cutoff_reference_agrees_with_brute_force_on_the_committed_card() -> None:
    artifact = load_artifact(REPO / "reports" / "scorecard.json")
    ref = reference_points(artifact, "cutoff", 579)
    # Monte Carlo over independent draws from the bin counts, within a loose tolerance.
    rng = np.random.default_rng(0)
    draws = []
    for f in artifact["features"]:
        counts = np.array([b["count"] for b in f["bins"]], dtype=float)
        points = np.array([b["points"] for b in f["bins"]])
        draws.append(points[rng.choice(len(points), 400_000, p=counts / counts.sum())])
    pts = np.column_stack(draws)
    near = np.abs(pts.sum(axis=1) - 579) <= 5
    assert near.sum() > 1000
    assert np.abs(pts[near].mean(axis=0) - np.array(ref)).max() < 1.0


# ------------------------------------------------------------------ policies


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    return load_artifact(REPO / "reports" / "scorecard.json")


def test_a_score_cutoff_accepts_that_score_and_above(real: dict[str, Any]) -> None:
    policy = make_policy("600", 10, real, master_scale(real))
    assert policy is not None
    assert (policy.cutoff_score, policy.refer_from) == (600, 590)
    assert [policy.decide(s) for s in (601, 600, 599, 590, 589)] == [
        "accept", "accept", "refer", "refer", "decline"]
    assert policy.decide_many(np.array([600, 595, 500])).tolist() == [
        "accept", "refer", "decline"]
    assert make_policy("599.2", 0, real, None).cutoff_score == 600  # type: ignore[union-attr]


def test_with_automated_declines_off_every_decline_is_a_referral_that_says_why(
        real: dict[str, Any]) -> None:
    on = make_policy("600", 10, real, None)
    off = make_policy("600", 10, real, None, automated_declines=False)
    assert on is not None and off is not None
    scores = [601, 600, 599, 590, 589, -10**6]
    assert [off.decide(s) for s in scores] == ["accept", "accept", "refer", "refer", "refer",
                                               "refer"]
    assert off.decide_many(np.array(scores)).tolist() == [off.decide(s) for s in scores]
    assert [off.card_decision(s) for s in scores] == [on.decide(s) for s in scores]
    assert off.to_dict() == {**on.to_dict(), "automated_declines": False}
    declined = off.record(589)
    assert declined["card_decision"] == "decline"
    assert "automated declines are off" in declined["referred_because"]
    assert off.record(590) == off.to_dict() and on.record(589) == on.to_dict()


def test_a_pd_cutoff_is_the_lowest_score_whose_published_pd_is_within(
        real: dict[str, Any]) -> None:
    scaling = Scaling.from_dict(real["scaling"])
    policy = make_policy("pd:0.05", 0, real, None)
    assert policy is not None
    s = policy.cutoff_score
    assert float(scaling.pd(s)) <= 0.05 < float(scaling.pd(s - 1))
    assert policy.cutoff_pd == float(scaling.pd(s))
    assert policy.decide(s - 1) == "decline"


def test_a_grade_cutoff_accepts_that_grade_and_better(real: dict[str, Any]) -> None:
    scale = master_scale(real)
    assert scale is not None
    policy = make_policy("grade:E", 0, real, scale)
    assert policy is not None
    s = policy.cutoff_score
    assert scale.grade(s) == "E" and scale.grade(s - 1) == "F"
    worst = make_policy("grade:H", 0, real, scale)
    assert worst is not None and worst.decide(-10**6) == "decline"  # below the card's range
    lowest = sum(min(b["points"] for b in f["bins"]) for f in real["features"])
    assert worst.cutoff_score <= lowest


@pytest.mark.parametrize(("cutoff", "band", "message"), [
    ("pd:1.5", 0, "strictly between 0 and 1"),
    ("pd:x", 0, "'x' is not a pd"),
    ("grade:Z", 0, "'Z' is not a grade"),
    ("score", 0, "not a score"),
    ("inf", 0, "must be finite"),
    ("odds:3", 0, "not a score"),
    ("600", -1, "refer band -1"),
    (None, 5, "needs a cut-off"),
])
def test_unusable_policies_are_refused_by_name(real: dict[str, Any], cutoff: str | None,
                                               band: int, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        make_policy(cutoff, band, real, master_scale(real))


def test_a_grade_cutoff_needs_a_master_scale() -> None:
    with pytest.raises(PolicyError, match="no master scale"):
        make_policy("grade:E", 0, CARD, master_scale(CARD))
    assert make_policy(None, 0, CARD, None) is None
    assert make_policy("  ", 0, CARD, None) is None


def test_the_published_policy_names_every_number(real: dict[str, Any]) -> None:
    policy = make_policy("grade:E", 5, real, master_scale(real))
    assert policy is not None
    view = policy.to_dict()
    assert view == {"cutoff": "grade:E", "kind": "grade", "cutoff_score": policy.cutoff_score,
                    "cutoff_pd": policy.cutoff_pd, "refer_band": 5,
                    "refer_from_score": policy.cutoff_score - 5,
                    "decisions": ["accept", "refer", "decline"], "automated_declines": True}
    assert math.isclose(view["cutoff_pd"], 1 / (1 + math.exp(
        (policy.cutoff_score - real["scaling"]["offset"]) / real["scaling"]["factor"])),
        rel_tol=1e-12)
