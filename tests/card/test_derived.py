"""Rounding characteristics: a label of how round an input's value is, binned as a category,
scored alike by the batch engine and the one-applicant scorer, verified in the artifact,
carried by the published card view and never a column a caller supplies."""

from __future__ import annotations

import copy
import math
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pytest

from api.responses import CardFeature
from scorecard.card.artifact import ArtifactError, seal, verify
from scorecard.card.derived import (
    OTHER,
    ZERO,
    rounding_label,
    rounding_labels,
    rounding_name,
    rounding_text,
)
from scorecard.card.engine import OMITTED, UNSEEN, RowScorer, ScoringEngine
from scorecard.data.contract import KLARNA
from tests.support.builders import demo_card, sample_frame

ODD = [54_000, 55_000, 54_001, 54_000.5, -5_000, 0, -0.0, None, math.nan, pd.NA, math.inf,
       -math.inf, 10_000.0, 2.0**53, True, 5e-324]


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return demo_card(KLARNA, sample_frame(KLARNA, 3_000, seed=4), seed=9, rounding=True)


def _derived(card: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(j, f) for j, f in enumerate(card["features"]) if "derived" in f]


def test_a_label_is_the_largest_step_that_divides_the_value() -> None:
    steps = (10_000, 5_000, 1_000)
    labels = [rounding_label(v, steps) for v in ODD]
    assert labels == ["1000", "5000", OTHER, OTHER, "5000", ZERO, ZERO, None, None, None,
                      OTHER, OTHER, "10000", OTHER, OTHER, OTHER]
    # vectorised over floats, over objects (missing markers among them) and a pandas column
    assert rounding_labels(ODD, steps).tolist() == labels
    numbers = [v for v in ODD if v is not None and v is not pd.NA and not isinstance(v, bool)]
    assert rounding_labels(np.asarray(numbers, dtype=float), steps).tolist() == [
        rounding_label(v, steps) for v in numbers]
    column = pd.Series([55_000, None, 3], dtype="Int64")
    assert rounding_labels(column, steps).tolist() == ["5000", None, OTHER]


def test_a_bins_labels_read_as_words() -> None:
    assert rounding_text(["5000"]) == "multiple of 5000"
    assert rounding_text([ZERO, "1000", OTHER]) == "zero, multiple of 1000, not round"


def test_the_engine_and_the_one_applicant_scorer_agree_on_odd_values(
        card: dict[str, Any]) -> None:
    derived = _derived(card)
    assert len(derived) == 2
    engine = ScoringEngine(card)
    scorer = RowScorer(engine)
    for j, f in derived:
        col = f["derived"]["input"]
        assert engine.inputs_[j] == (col,) and f["name"] not in engine.columns_
        steps = f["derived"]["rounding"]
        values = [*ODD, *steps, *(3 * s for s in steps), OMITTED]
        rule = engine.rules_[j]
        at = rule.bins(np.asarray(values, dtype=object))
        assert [rule.assign_one(v)[0] for v in values] == at.tolist()
        assert at[-1] == rule.worst[0]  # an omitted input scores the riskiest bin
        assert at[values.index(None)] == next(b["index"] for b in f["bins"]
                                              if b["type"] == "missing")
    # the unseen label: the second card's "0" is no category of it
    j, f = derived[1]
    assert engine.rules_[j].assign_one(0)[0] == UNSEEN
    row = {c: None for c in engine.columns_}
    row[f["derived"]["input"]] = 0
    bins, points, _ = scorer.score(row)
    assert (bins[j], points[j]) == (UNSEEN, f["unseen_points"])


def test_a_malformed_rounding_characteristic_is_refused_naming_the_place(
        card: dict[str, Any]) -> None:
    j, _ = _derived(card)[0]

    def refused(edit: Any, message: str) -> None:
        raw = copy.deepcopy(card)
        edit(raw["features"][j])
        with pytest.raises(ArtifactError, match=message):
            verify(seal({k: v for k, v in raw.items()
                         if k not in ("content_hash", "model_id")}))

    at = rf"features\[{j}\] \({rounding_name(card['features'][j]['derived']['input'])}\)"
    refused(lambda f: f["derived"]["rounding"].reverse(), at + r"\.derived: input must be")
    refused(lambda f: f["derived"].__setitem__("rounding", [10, 0]), at + r"\.derived")
    refused(lambda f: f["derived"].__setitem__("rounding", []), at + r"\.derived")
    refused(lambda f: f["derived"].__setitem__("rounding", [10.5]), at + r"\.derived")
    refused(lambda f: f["derived"].__setitem__("scale", 2), at + r"\.derived: only a categor")
    refused(lambda f: f["derived"].__setitem__("input", "no_such_column"),
            r"input_contract: lacks the card's feature\(s\) \['no_such_column'\]")


def test_the_published_card_view_carries_the_input_and_steps(card: dict[str, Any]) -> None:
    features = msgspec.convert(verify(card)["features"], type=list[CardFeature])
    shown = [f.derived for f in features if f.derived is not None]
    assert [(d.input, d.rounding) for d in shown] == [
        (f["derived"]["input"], f["derived"]["rounding"]) for _, f in _derived(card)]


def test_a_rounding_reason_shows_the_value_of_the_column_it_reads(
        card: dict[str, Any]) -> None:
    from api.service import ScoringService
    from scorecard.card.reasons import reason_details
    from tests.support.builders import generated_rows

    derived = {f["name"]: f["derived"]["input"] for _, f in _derived(card)}
    engine = ScoringEngine(card)
    service = ScoringService(card, allow_missing=True)
    rows = [{k: v for k, v in r.items() if k != "default"} for r in generated_rows()[:400]]
    scored = engine.score({c: [r.get(c) for r in rows] for c in engine.columns_})
    batch = service.score_batch(rows)
    seen = 0
    for i, row in enumerate(rows):
        one = service.score_one(row)
        assert one.reasons == batch.results[i].reasons
        details = reason_details(engine, scored, i, row)
        assert [r["value"] for r in details] == [r.value for r in one.reasons]
        for r in one.reasons:
            if r.characteristic in derived:
                seen += 1
                assert r.value == row[derived[r.characteristic]]
                assert r.value is not None or row[derived[r.characteristic]] is None
    assert seen, "some applicants should lose points on how round a value is"
