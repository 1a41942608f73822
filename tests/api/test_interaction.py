"""A card with interaction characteristics serves: one applicant and a batch give the same
scores and reasons, an interaction's reason carries its own code, and the card view
publishes its parents and points grid."""

from __future__ import annotations

from typing import Any

import pytest

from api.service import ScoringService
from scorecard.card.engine import ScoringEngine
from scorecard.data.contract import KLARNA
from tests.support.builders import demo_card, generated_rows, sample_frame


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return demo_card(KLARNA, sample_frame(KLARNA, 3_000, seed=4), seed=9, interactions=True)


def test_interaction_reasons_come_back_with_their_codes(card: dict[str, Any]) -> None:
    service = ScoringService(card, allow_missing=True)
    rows = [{k: v for k, v in r.items() if k != "default"} for r in generated_rows()[:300]]
    batch = service.score_batch(rows)
    engine = ScoringEngine(card)
    want = engine.score({c: [r.get(c) for r in rows] for c in engine.columns_})
    codes = {f["reason_code"] for f in card["features"] if f["kind"] == "interaction"}
    seen = set()
    for i, row in enumerate(rows):
        one = service.score_one(row)
        assert one.score == batch.results[i].score == int(want.score[i])
        assert one.reasons == batch.results[i].reasons
        seen |= {r.code for r in one.reasons} & codes
    assert seen, "some applicants should have an interaction among their reasons"


def test_the_card_view_publishes_the_grid(card: dict[str, Any]) -> None:
    view = ScoringService(card).card
    mine = [f for f in view.features if f.kind == "interaction"]
    assert len(mine) == 3
    raws = [f for f in card["features"] if f["kind"] == "interaction"]
    for f, raw in zip(mine, raws, strict=True):
        assert f.grid == raw["grid"]
        assert [p.name for p in f.parents] == [p["name"] for p in raw["parents"]]
