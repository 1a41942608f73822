"""Human oversight of the service's decisions: the switch that turns every automated
decline into a referral (the answer says refer, the record keeps what the card decided and
why), reviewers' overrides recorded beside the decision in their own chain, the referral
queue, and the figures in ``/metrics``."""

from __future__ import annotations

import json
from pathlib import Path

from api.openapi import example_applicant
from api.replay import replay
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import open_store, verify
from tests.api.conftest import ClientFactory
from tests.support.paths import REPO

APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)


def _score_of(api_client: ClientFactory) -> int:
    with api_client() as client:
        return int(client.post("/v1/score", json=APPLICANT).json()["score"])


def test_with_automated_declines_off_a_decline_is_answered_and_recorded_as_a_referral(
        api_client: ClientFactory, log_url: str) -> None:
    cutoff = str(_score_of(api_client) + 20)  # the card declines this applicant
    with api_client(cutoff=cutoff, refer_band=5, decision_log=log_url) as client:
        on = client.post("/v1/score", json=APPLICANT).json()
    with api_client(cutoff=cutoff, refer_band=5, decision_log=log_url,
                    automated_declines=False) as client:
        one = client.post("/v1/score", json=APPLICANT).json()
        batch = client.post("/v1/score/batch", json=[APPLICANT, APPLICANT]).json()["results"]
        explain = client.post("/v1/explain", json={"applicant": APPLICANT}).json()
        card = client.get("/v1/scorecard").json()
        exposition = client.get("/metrics").text
    assert on["decision"] == "decline"
    assert [one["decision"], *(r["decision"] for r in batch), explain["decision"]] == \
        ["refer"] * 4
    assert card["policy"]["automated_declines"] is False
    store = open_store(log_url)
    for answer in (one, *batch, explain):
        rec = store.get(answer["decision_id"])
        assert rec is not None and rec["decision"] == "refer"
        policy = json.loads(rec["policy"])
        assert policy["automated_declines"] is False
        assert policy["card_decision"] == "decline"
        assert "automated declines are off" in policy["referred_because"]
    before = json.loads(store.get(on["decision_id"])["policy"])  # type: ignore[index]
    assert "card_decision" not in before and before["automated_declines"] is True
    assert "scorecard_automated_declines 0.0" in exposition
    assert "scorecard_declines_referred_total" in exposition
    assert verify(store) == (5, [])
    report = replay(store, REPO / "reports")
    assert (report.replayed, report.differences) == (5, [])
