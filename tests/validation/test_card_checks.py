"""Card checks in the validation report: points that do not vary, bins whose points rest on
too few events, one characteristic dominating the first reason."""

from __future__ import annotations

import copy
import dataclasses
import html
from typing import Any

from tests.support.builders import build_synthetic
from validation.card_checks import (
    DOMINANT_REASON_SHARE,
    card_checks,
    dominant_reason,
    flat_points,
    thin_bins,
)
from validation.report import render_reports


def _bin(i: int, label: str, points: int, count: int, event: int, kind: str = "regular",
         **extra: Any) -> dict[str, Any]:
    return {"index": i, "type": kind, "label": label, "points": points, "count": count,
            "event": event, **extra}


def _card() -> dict[str, Any]:
    return {"spec": {"min_bin_events": 30}, "features": [
        {"name": "flat", "kind": "numeric", "bins": [
            _bin(0, "(-inf, 1)", 20, 5000, 100), _bin(1, "[1, inf)", 20, 5000, 80),
            _bin(2, "Missing", 20, 0, 0, "missing")]},
        {"name": "housing", "kind": "categorical", "bins": [
            _bin(0, "own", 30, 4000, 40), _bin(1, "rent", 12, 4000, 100),
            _bin(2, "family", 30, 1991, 39), _bin(3, "Missing", 12, 9, 1, "missing",
                                                    fitted_points=33, supported=False)]},
    ]}


def test_a_characteristic_whose_points_do_not_vary_is_flagged() -> None:
    found = flat_points(_card())
    assert any(s.startswith("flat: every bin gets 20 points, so it ranks no one")
               for s in found)
    assert any("housing: the groups 'own' and 'family' get the same 30 points" in s
               for s in found)
    varied = _card()
    varied["features"][1]["bins"][2]["points"] = 25
    assert not any("housing" in s for s in flat_points(varied))


def test_flat_regular_bins_with_a_missing_bin_apart_are_said_to_rank_through_it_alone(
        ) -> None:
    card = _card()
    card["features"][0]["bins"][2]["points"] = -5
    found = flat_points(card)
    assert any(s.startswith("flat: every regular bin gets 20 points; it ranks applicants "
                            "only by whether the value is missing or special (-5 points)")
               for s in found)
    assert not any("ranks no one" in s for s in found)


def test_a_bin_resting_on_fewer_than_the_set_events_is_flagged() -> None:
    found = thin_bins(_card())
    assert found == ["housing, bin Missing: 9 rows and 1 defaults, fewer than 30 events to "
                     "rest its points on (capped at 12 points (fitted 33))."]
    stricter = _card()
    stricter["spec"]["min_bin_events"] = 5000  # every bin is thin now, the empty one aside
    assert len(thin_bins(stricter)) == 6


def test_a_reason_dominating_the_top_slot_is_flagged_above_the_threshold() -> None:
    assert dominant_reason({"a": 0.82, "b": 0.1}).startswith("a is the first reason of 82.0 %")
    assert dominant_reason({"a": DOMINANT_REASON_SHARE, "b": 0.5}) is None
    assert dominant_reason(None) is None


def test_the_card_checks_are_among_the_validation_pages_findings() -> None:
    artifact, validation, log, coefs = build_synthetic(full=True)
    clean = render_reports(artifact, validation, log, coefs)["validation.html"]
    odd = copy.deepcopy(artifact)
    for b in odd["features"][0]["bins"]:
        b["points"] = 7
    validation = dataclasses.replace(validation, first_reasons={"x1": 0.9, "x0": 0.1})
    page = html.unescape(render_reports(odd, validation, log, coefs)["validation.html"])
    expected = card_checks(odd, validation.first_reasons)
    assert len(expected) >= 2
    for sentence in expected:
        assert sentence in page
        assert sentence not in html.unescape(clean)
