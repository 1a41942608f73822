"""A three-characteristic card whose every number is written out, scored by every path.

The expected points, scores and reason codes below are worked out by hand from the card;
integers are compared exactly, pd against the published formula
``pd = 1 / (1 + exp((score - offset) / factor))`` with ``factor = 20 / ln 2`` and
``offset = 600 - factor * ln 50``. Paths: the vectorised engine, the one-row scorer, the
SQL export in DuckDB, and the HTTP API.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from scorecard.card.artifact import dumps, seal
from scorecard.card.engine import UNSEEN, RowScorer, ScoringEngine
from scorecard.card.reasons import top_reasons
from scorecard.card.sql import card_sql
from tests.support.builders import EXACT_CARD

FACTOR = 20 / math.log(2)
OFFSET = 600 - FACTOR * math.log(50)


# applicant -> (bins, points, score, reason codes); worked out by hand from EXACT_CARD.
CASES: list[tuple[dict[str, Any], list[int], list[int], int, list[str]]] = [
    ({"uuid": "a1", "balance": 99.999, "segment": "A", "has_paid": True},
     [0, 0, 0], [30, 25, 18], 73, []),
    ({"uuid": "a2", "balance": 100.0, "segment": "C", "has_paid": False},  # on the split
     [1, 1, 1], [20, 10, 2], 32, ["T03", "T02", "T01"]),
    ({"uuid": "a3", "balance": 500.0, "segment": None, "has_paid": None},
     [2, 2, 2], [5, 15, 9], 29, ["T01", "T02", "T03"]),
    ({"uuid": "a4", "balance": -1.0, "segment": "D", "has_paid": True},  # special, unseen
     [3, UNSEEN, 0], [12, 4, 18], 34, ["T02", "T01"]),
    ({"uuid": "a5", "balance": None, "segment": "B", "has_paid": False},
     [4, 0, 1], [8, 25, 2], 35, ["T01", "T03"]),
    ({"uuid": "a6", "balance": 1e9, "segment": "C", "has_paid": True},
     [2, 1, 0], [5, 10, 18], 33, ["T01", "T02"]),
]


def _pd(score: int) -> float:
    return 1 / (1 + math.exp((score - OFFSET) / FACTOR))


@pytest.fixture(scope="module")
def card() -> dict[str, Any]:
    return seal(json.loads(json.dumps(EXACT_CARD)))


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [r[name] for r in rows] for name in ("balance", "segment", "has_paid")}


def test_the_engine_scores_the_hand_computed_applicants(card: dict[str, Any]) -> None:
    engine = ScoringEngine(card)
    result = engine.score(_columns([c[0] for c in CASES]))
    assert result.bins.tolist() == [c[1] for c in CASES]
    assert result.points.tolist() == [c[2] for c in CASES]
    assert result.score.tolist() == [c[3] for c in CASES]
    assert result.pd.tolist() == pytest.approx([_pd(c[3]) for c in CASES], rel=1e-15, abs=0)
    codes = [f["reason_code"] for f in card["features"]]
    picks = top_reasons(engine, result, 4)
    assert [[codes[j] for j in row if j >= 0] for row in picks] == [c[4] for c in CASES]


def test_pandas_missing_values_score_as_missing(card: dict[str, Any]) -> None:
    frame = pd.DataFrame({"balance": [np.nan, pd.NA], "segment": [np.nan, pd.NA],
                          "has_paid": [None, pd.NA]}, dtype=object)
    result = ScoringEngine(card).score(frame)
    assert result.points.tolist() == [[8, 15, 9], [8, 15, 9]]


def test_the_row_scorer_scores_the_hand_computed_applicants(card: dict[str, Any]) -> None:
    row = RowScorer(ScoringEngine(card))
    for applicant, bins, points, score, _ in CASES:
        assert row.score(applicant) == (bins, points, score)
        assert row.pd_table[score - row.lo] == pytest.approx(_pd(score), rel=1e-15, abs=0)


def test_the_sql_export_scores_the_hand_computed_applicants_in_duckdb(
        card: dict[str, Any]) -> None:
    frame = pd.DataFrame([c[0] for c in CASES])
    frame["balance"] = frame["balance"].astype(float)
    with duckdb.connect() as con:
        con.register("frame", frame)
        con.execute("CREATE VIEW applicants AS SELECT * FROM frame")
        got = con.execute(card_sql(card)).df()
    assert got[["pts_balance", "pts_segment", "pts_has_paid"]].to_numpy().tolist() == [
        c[2] for c in CASES]
    assert got["score"].tolist() == [c[3] for c in CASES]
    assert got["pd"].tolist() == pytest.approx([_pd(c[3]) for c in CASES], rel=1e-15, abs=0)


def test_the_api_scores_the_hand_computed_applicants(card: dict[str, Any],
                                                     tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from api.app import create_app
    from api.settings import Settings

    path = tmp_path / "exact.json"
    path.write_text(dumps(card))
    with TestClient(create_app(Settings(artifact=path))) as client:
        for applicant, _, _, score, reasons in CASES:
            body = client.post("/v1/score", json=applicant).json()
            assert body["score"] == score, applicant
            assert body["pd"] == pytest.approx(_pd(score), rel=1e-15, abs=0)
            assert [r["code"] for r in body["reasons"]] == reasons
