"""``POST /v1/explain``, ``decision`` in scores and the policy on the card, over HTTP.

The app is the real Litestar app on the committed card (TestClient, in process), with a
decision policy from the settings; every answer is checked against the card layer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings, SettingsError
from scorecard.card.artifact import input_contract, load_artifact, master_scale
from scorecard.card.decisions import make_policy
from scorecard.card.engine import ScoringEngine
from scorecard.card.reasons import reference_points, top_reasons
from scorecard.card.recourse import Explainer
from tests.support.builders import generated_rows


@pytest.fixture(scope="module")
def artifact(artifact_path: Path) -> dict[str, Any]:
    return load_artifact(artifact_path)


@pytest.fixture(scope="module")
def client(artifact_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(Settings(artifact=artifact_path, cutoff="grade:E", refer_band=6,
                              reason_method="cutoff"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def plain(artifact_path: Path):  # type: ignore[no-untyped-def]
    with TestClient(create_app(Settings(artifact=artifact_path))) as c:
        yield c


def _below(artifact: dict[str, Any], cutoff: int) -> list[dict[str, Any]]:
    rows = generated_rows()
    engine = ScoringEngine(artifact)
    scores = engine.score({n: [r.get(n) for r in rows] for n in engine.features_}).score
    return [r for r, s in zip(rows, scores.tolist(), strict=True) if s < cutoff]


def test_explain_answers_what_the_card_layer_computes(client: TestClient,
                                                      artifact: dict[str, Any]) -> None:
    scale = master_scale(artifact)
    policy = make_policy("grade:E", 6, artifact, scale)
    assert policy is not None
    explainer = Explainer(ScoringEngine(artifact), input_contract(artifact), scale)
    below = _below(artifact, policy.cutoff_score)
    assert len(below) > 20
    statuses = set()
    for row in below[:30]:
        r = client.post("/v1/explain", json={"applicant": row, "k": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        want = explainer.explain(row, policy, 2)
        for key in ("score", "pd", "grade", "decision", "cutoff_score", "points_needed",
                    "status", "exact", "counterfactuals"):
            assert body[key] == want[key], key
        assert body["decision"] in ("refer", "decline")
        assert body["uuid"] == row["uuid"]
        statuses.add(body["status"])
        for cf in body["counterfactuals"]:
            assert cf["score"] >= policy.cutoff_score and cf["decision"] == "accept"
            assert cf["grade"] in scale.grades[:5]  # type: ignore[union-attr]
        assert all(r["method"] == "cutoff" and r["points_below_reference"] > 0
                   for r in body["reasons"])
    assert "found" in statuses


def test_scores_carry_the_decision_and_the_reason_method(client: TestClient,
                                                         artifact: dict[str, Any]) -> None:
    scale = master_scale(artifact)
    policy = make_policy("grade:E", 6, artifact, scale)
    assert policy is not None
    rows = generated_rows()[:200]
    engine = ScoringEngine(artifact)
    result = engine.score({n: [r.get(n) for r in rows] for n in engine.features_})
    ref = reference_points(artifact, "cutoff", policy.cutoff_score)
    picks = top_reasons(engine, result, 4, ref).tolist()
    codes = [f["reason_code"] for f in artifact["features"]]
    batch = client.post("/v1/score/batch", json=rows).json()["results"]
    for i, row in enumerate(rows[:40]):
        one = client.post("/v1/score", json=row).json()
        assert one["decision"] == batch[i]["decision"] == policy.decide(int(result.score[i]))
        assert [x["code"] for x in one["reasons"]] == [codes[j] for j in picks[i] if j >= 0]
        assert one["reasons"] == batch[i]["reasons"]
    assert {b["decision"] for b in batch} >= {"accept", "decline"}


def test_the_card_publishes_the_policy(client: TestClient, plain: TestClient) -> None:
    card = client.get("/v1/scorecard").json()
    assert card["policy"]["cutoff"] == "grade:E"
    assert card["policy"]["refer_from_score"] == card["policy"]["cutoff_score"] - 6
    assert card["reason_method"] == "cutoff"
    assert "age" not in card["actionable"] and "num_unpaid_bills" in card["actionable"]
    assert plain.get("/v1/scorecard").json()["policy"] is None


def test_without_a_policy_decisions_are_null_and_explain_needs_a_cutoff(
        plain: TestClient, artifact: dict[str, Any]) -> None:
    row = _below(artifact, 579)[0]
    one = plain.post("/v1/score", json=row).json()
    assert one["decision"] is None
    assert one["reasons"]
    for reason in one["reasons"]:  # the default method `max`: reasons exactly as before
        assert set(reason) == {"code", "characteristic", "value", "bin", "points",
                               "attainable", "points_lost", "text"}
    r = plain.post("/v1/explain", json={"applicant": row})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cutoff"
    for blank in ("", "  "):  # no cut-off at all: the same answer, never a 500
        r = plain.post("/v1/explain", json={"applicant": row, "cutoff": blank})
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["cutoff"]
    r = plain.post("/v1/explain", json={"applicant": row, "cutoff": "pd:0.01"})
    assert r.status_code == 200
    want = make_policy("pd:0.01", 0, artifact, master_scale(artifact))
    assert r.json()["cutoff_score"] == want.cutoff_score  # type: ignore[union-attr]


@pytest.mark.parametrize(("body", "fields"), [
    ([], {"$"}),
    ({"k": 3}, {"applicant"}),
    ({"applicant": [], "k": 3}, {"applicant"}),
    ({"applicant": {"age": "old"}}, {"applicant.age"}),
    ({"applicant": {"nonsense": 1}}, {"applicant.nonsense"}),
    ({"applicant": {}, "k": 0}, {"k"}),
    ({"applicant": {}, "k": 11}, {"k"}),
    ({"applicant": {}, "k": True}, {"k"}),
    ({"applicant": {}, "k": 2.5}, {"k"}),
    ({"applicant": {}, "cutoff": "pd:1.5"}, {"cutoff"}),
    ({"applicant": {}, "cutoff": 600}, {"cutoff"}),
    ({"applicant": {}, "cutoff": "grade:Z"}, {"cutoff"}),
    ({"applicant": {}, "refer_band": -1}, {"refer_band"}),
    ({"applicant": {}, "extra": 1}, {"extra"}),
    ({"applicant": {"age": -5}, "k": 0, "cutoff": "x"}, {"applicant.age", "k", "cutoff"}),
])
def test_bad_bodies_get_422_naming_every_field(client: TestClient, body: Any,
                                               fields: set[str]) -> None:
    r = client.post("/v1/explain", json=body)
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == fields


def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post("/v1/explain", content=b"{not json")
    assert r.status_code == 400


def test_policy_settings_are_checked_at_start_up(artifact_path: Path) -> None:
    with pytest.raises(SettingsError, match="SCORECARD_REASON_METHOD"):
        Settings(reason_method="best")
    with pytest.raises(SettingsError, match="needs SCORECARD_CUTOFF"):
        Settings(reason_method="cutoff")
    with pytest.raises(SettingsError, match="SCORECARD_REFER_BAND"):
        Settings(refer_band=5)
    with pytest.raises(SettingsError, match="grade:Z"):
        create_app(Settings(artifact=artifact_path, cutoff="grade:Z"))
    env = {"SCORECARD_CUTOFF": "pd:0.05", "SCORECARD_REFER_BAND": "10",
           "SCORECARD_REASON_METHOD": "Average"}
    s = Settings.from_env(env)
    assert (s.cutoff, s.refer_band, s.reason_method) == ("pd:0.05", 10, "average")
    assert Settings.from_env({}).cutoff is None


def test_a_blank_cutoff_uses_the_service_policy(client: TestClient,
                                                artifact: dict[str, Any]) -> None:
    row = _below(artifact, 579)[0]
    default = client.post("/v1/explain", json={"applicant": row})
    blank = client.post("/v1/explain", json={"applicant": row, "cutoff": " "})
    assert default.status_code == blank.status_code == 200, blank.text
    assert blank.json()["cutoff_score"] == default.json()["cutoff_score"]
