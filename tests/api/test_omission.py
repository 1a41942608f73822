"""Omission never helps: leaving fields out of a request never raises a score, on real rows
(the real 10k Klarna rows with the committed card; FICO HELOC with a card fitted here), and a
card's missing, special and unseen points respect the spec's missing policy."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.service import ScoringService
from scorecard.card.engine import UNSEEN
from scorecard.data.files import read_dataset
from scorecard.fit.estimator import Scorecard
from scorecard.fit.spec import HELOC_SPEC
from scorecard.fit.support import bin_support
from tests.api.test_api import json_rows

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@functools.cache
def _klarna(artifact: str, rows: str) -> tuple[ScoringService, list[dict[str, Any]]]:
    service = ScoringService(json.loads(Path(artifact).read_text()), allow_missing=True)
    return service, json_rows(Path(rows))


@pytest.fixture(scope="module")
def klarna(artifact_path: Path,
           klarna_real_path: Path) -> tuple[ScoringService, list[dict[str, Any]]]:
    return _klarna(str(artifact_path), str(klarna_real_path))


@pytest.fixture(scope="module")
def heloc(heloc_path: Path) -> tuple[ScoringService, list[dict[str, Any]], dict[str, Any]]:
    frame = read_dataset(heloc_path, HELOC_SPEC.contract, require_labelled=True).frame
    y = frame["RiskPerformance"].to_numpy(dtype=int)
    card = Scorecard(HELOC_SPEC).fit(frame, y)
    artifact = card.to_artifact({}, {})
    rows = frame.drop(columns=["RiskPerformance"]).astype(object)
    records = rows.where(rows.notna(), None).to_dict("records")
    return ScoringService(artifact, allow_missing=True), records, artifact


def _without(row: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in fields}


def _every_single_field_never_raises(service: ScoringService,
                                     rows: list[dict[str, Any]]) -> int:
    lowered = 0
    for row in rows:
        full = service.score_one(row).score
        for field in service.engine.columns_:
            less = service.score_one(_without(row, {field}))
            assert less.score <= full, (field, row)
            assert any(g.field == field and g.status == "omitted" for g in less.gaps)
            lowered += less.score < full
    return lowered


def test_leaving_out_any_single_field_never_raises_a_real_klarna_score(klarna) -> None:
    service, rows = klarna
    assert _every_single_field_never_raises(service, rows[::25]) > 0


def test_leaving_out_any_single_field_never_raises_a_heloc_score(heloc) -> None:
    service, rows, _ = heloc
    assert _every_single_field_never_raises(service, rows[::40]) > 0


@SETTINGS
@given(data=st.data())
def test_leaving_out_random_fields_never_raises_a_real_klarna_score(klarna, data) -> None:
    service, rows = klarna
    row = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
    fields = data.draw(st.sets(st.sampled_from(service.engine.columns_)), label="left out")
    assert service.score_one(_without(row, fields)).score <= service.score_one(row).score


@SETTINGS
@given(data=st.data())
def test_leaving_out_random_fields_never_raises_a_heloc_score(heloc, data) -> None:
    service, rows, _ = heloc
    row = rows[data.draw(st.integers(0, len(rows) - 1), label="row")]
    fields = data.draw(st.sets(st.sampled_from(service.engine.columns_)), label="left out")
    less = service.score_batch([_without(row, fields)]).results[0]
    assert less.score <= service.score_one(row).score
    one = service.score_one(_without(row, fields))
    assert msgspec.structs.replace(less, decision_id=one.decision_id) == one  # ids differ


def test_an_empty_applicant_scores_no_better_than_the_worst_possible_score(klarna) -> None:
    service, rows = klarna
    empty = service.score_one({})
    assert empty.score == sum(r.points_range[0] for r in service.engine.rules_)
    real = service.score_batch(rows[:2000]).results
    assert empty.score <= min(r.score for r in real)
    assert {g.field for g in empty.gaps} == set(service.engine.columns_)
    assert all(g.status == "omitted" and g.points_lost >= 0 for g in empty.gaps)


def test_the_answer_names_each_missing_field_and_its_cost(klarna) -> None:
    service, rows = klarna
    row = next(r for r in rows if r["account_status"] is not None)
    j = service.row.names.index("account_status")
    answer = service.score_one({**row, "account_status": None})
    gap = next(g for g in answer.gaps if g.field == "account_status")
    missing_bin = next(b for b in service.artifact["features"][j]["bins"]
                       if b["type"] == "missing")
    assert (gap.status, gap.points) == ("missing", missing_bin["points"])
    assert gap.points_lost == service.artifact["features"][j]["max_points"] - gap.points
    assert service.score_one(row).gaps == [g for g in service.score_one(row).gaps
                                           if g.field != "account_status"]


def test_a_fitted_cards_thin_missing_and_special_bins_score_no_better_than_its_floor(
        heloc) -> None:
    _, _, artifact = heloc
    assert artifact["spec"]["missing_policy"] == "cautious"
    capped = 0
    for f in artifact["features"]:
        bins = f["bins"]
        supported = bin_support(np.array([b["count"] for b in bins]),
                                np.array([b["event"] for b in bins]),
                                artifact["spec"]["min_bin_events"])
        assert [b["supported"] for b in bins] == supported.tolist()
        floor = min(b["points"] for b, s in zip(bins, supported, strict=True)
                    if s and b["type"] == "regular")
        for b, s in zip(bins, supported, strict=True):
            if b["type"] in ("missing", "special") and not s:
                assert b["points"] <= floor, (f["name"], b)
            if "support" in b:
                capped += 1
                assert b["fitted_points"] > b["points"] == floor
                assert "riskiest supported bin" in b["support"]
    assert capped > 0  # HELOC's empty missing and special bins were fitted above the floor


def test_unseen_and_respelled_categories_on_a_normalised_card(heloc) -> None:
    from scorecard.card.engine import CategoricalRule, label_key

    bins = [{"index": 0, "type": "regular", "label": "Rent", "categories": ["Rent"],
             "points": 5},
            {"index": 1, "type": "regular", "label": "Own", "categories": ["Own"],
             "points": 40},
            {"index": 2, "type": "missing", "label": "Missing", "points": 5}]
    normalised = CategoricalRule({"bins": bins, "unseen_points": 5,
                                  "category_match": "normalised"})
    exact = CategoricalRule({"bins": bins, "unseen_points": 5})
    assert label_key("  OWN ") == "own"
    assert normalised.assign_one("  own ") == (1, 40) == normalised.assign_one("OWN")
    assert exact.assign_one("own") == (UNSEEN, 5)
    assert normalised.bins(np.array(["Own", " oWn", "castle", None], dtype=object)).tolist() \
        == [1, 1, UNSEEN, 2]
