"""Human oversight of the service's decisions: the switch that turns every automated
decline into a referral (the answer says refer, the record keeps what the card decided and
why), reviewers' overrides recorded beside the decision in their own chain, the referral
queue, and the figures in ``/metrics``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

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


REVIEWERS = (("alice", "alice-key"), ("bob", "bob-key"))
SCORING, ALICE, BOB = ({"X-API-Key": k} for k in ("scoring-key", "alice-key", "bob-key"))


def test_every_refusal_of_the_reviewer_routes_is_a_4xx_naming_its_reason(
        api_client: ClientFactory, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with api_client(cutoff="600", decision_log=url, api_key="scoring-key",
                    reviewer_keys=REVIEWERS) as client:
        did = client.post("/v1/score", json=APPLICANT, headers=SCORING).json()["decision_id"]
        path = f"/v1/decisions/{did}/override"
        good = {"decision": "decline", "reason": "a second look"}
        cases = [
            (client.post(path, json=good, headers=SCORING), 403, "scoring key may not"),
            (client.post(path, json=good), 401, "missing reviewer key"),
            (client.post(path, json=good, headers={"X-API-Key": "guess"}), 401,
             "invalid reviewer key"),
            (client.get("/v1/decisions", headers=SCORING), 403, "scoring key may not"),
            (client.post("/v1/decisions/no-such-id/override", json=good, headers=ALICE), 404,
             "'no-such-id' is not in the decision log"),
            (client.post(path, json={"decision": "decline"}, headers=ALICE), 422, "reason"),
            (client.post(path, json={"decision": "maybe", "reason": " "}, headers=ALICE), 422,
             "decision, reason"),
            (client.post(path, content=b"{", headers=ALICE), 400, "not valid JSON"),
            (client.get("/v1/decisions?limit=0", headers=ALICE), 400, "limit"),
            (client.get("/v1/decisions?status=closed", headers=ALICE), 400, "status"),
        ]
        made = client.post(path, json=good, headers=ALICE)
        again = client.post(path, json={**good, "reason": "still"}, headers=BOB)
        scoring_with_reviewer = client.post("/v1/score", json=APPLICANT, headers=ALICE)
    for response, status, words in cases:
        assert response.status_code == status, (status, response.text)
        assert words in response.text, (words, response.text)
    assert made.status_code == 201 and made.json()["reviewer"] == "alice"
    assert again.status_code == 409 and "is already 'decline'" in again.json()["detail"]
    assert scoring_with_reviewer.status_code == 401  # a reviewer's key does not score
    with api_client(decision_log=url) as client:  # no reviewer keys: nobody reviews
        refused = client.get("/v1/decisions", headers=ALICE)
    assert refused.status_code == 403 and "SCORECARD_REVIEWER_KEYS" in refused.text
    with api_client(reviewer_keys=REVIEWERS) as client:  # no log: nothing to review
        missing = client.get("/v1/decisions", headers=ALICE)
    assert missing.status_code == 404 and "no decision log" in missing.text


def test_monitoring_periods_are_bounded_by_calendar_months_and_quarters() -> None:
    from scorecard.jobs.decisions import period_bounds

    assert period_bounds("2026-12") == ("2026-12-01", "2027-01-01")
    assert period_bounds("2026-02") == ("2026-02-01", "2026-03-01")
    assert period_bounds("2026Q4") == ("2026-10-01", "2027-01-01")
    assert period_bounds("2026Q1") == ("2026-01-01", "2026-04-01")


def test_reviewer_keys_are_refused_when_they_are_malformed_or_the_scoring_key() -> None:
    from api.settings import Settings, SettingsError, reviewer_keys

    assert reviewer_keys(" alice = k1 ,bob=k2,") == (("alice", "k1"), ("bob", "k2"))
    for text, words in (("alice", "not name=key"), ("alice=,bob=k", "both non-empty"),
                        ("a=k,b=k", "given twice")):
        try:
            Settings(reviewer_keys=reviewer_keys(text))
        except SettingsError as exc:
            assert words in str(exc) and "k1" not in str(exc)
        else:
            raise AssertionError(f"{text!r} was accepted")
    try:
        Settings(api_key="same", reviewer_keys=(("alice", "same"),))
    except SettingsError as exc:
        assert "equals SCORECARD_API_KEY" in str(exc)
    else:
        raise AssertionError("a reviewer key equal to the scoring key was accepted")


def test_on_a_real_server_an_override_and_the_switch_show_in_the_record_metrics_and_monitor(
        api_client: ClientFactory, log_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import httpx

    from scorecard.cli import main
    from tests.support.servers import free_port, start_uvicorn

    score = _score_of(api_client)
    accepted = {**APPLICANT, "uuid": "applicant-accepted"}
    env = {**os.environ, "SCORECARD_DECISION_LOG": log_url, "SCORECARD_CUTOFF": str(score),
           "SCORECARD_AUTOMATED_DECLINES": "off", "SCORECARD_API_KEY": "scoring-key",
           "SCORECARD_REVIEWER_KEYS": "alice=alice-key,bob=bob-key"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    process = start_uvicorn(port, "api.protocols:TimedHttpToolsProtocol", env,
                            tmp_path / "server.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            ok = client.post("/v1/score", json=accepted, headers=SCORING).json()
            batch = client.post("/v1/score/batch", json=[accepted] * 3,
                                headers=SCORING).json()["results"]
            # A cut-off one point above the score: the card declines, the switch refers.
            referred = client.post("/v1/explain", json={"applicant": APPLICANT,
                                                        "cutoff": str(score + 1)},
                                   headers=SCORING).json()
            assert [a["decision"] for a in (ok, *batch, referred)] == ["accept"] * 4 + \
                ["refer"]
            first, second = referred["decision_id"], ok["decision_id"]
            queue = client.get("/v1/decisions", params={"decision": "refer",
                                                        "status": "open"},
                               headers=ALICE).json()
            assert [i["decision_id"] for i in queue["items"]] == [first]
            assert queue["items"][0]["policy"]["card_decision"] == "decline"
            made = client.post(f"/v1/decisions/{first}/override",
                               json={"decision": "accept", "reason": "income verified"},
                               headers=ALICE)
            assert made.status_code == 201, made.text
            client.post(f"/v1/decisions/{second}/override",
                        json={"decision": "decline", "reason": "fraud flag"}, headers=BOB)
            assert client.get("/v1/decisions", params={"decision": "refer"},
                              headers=ALICE).json()["items"] == []  # the queue is empty
            view = client.get(f"/v1/decisions/{first}", headers=BOB).json()
            exposition = client.get("/metrics", headers=SCORING).text
    finally:
        process.terminate()
        process.wait(30)
    assert view["current"] == "accept" and view["record"]["decision"] == "refer"
    assert [(o["reviewer"], o["previous_decision"], o["decision"], o["reason"])
            for o in view["overrides"]] == [("alice", "refer", "accept", "income verified")]
    figures = {line.split()[0]: float(line.split()[1]) for line in exposition.splitlines()
               if line.startswith(("scorecard_oversight", "scorecard_referral_backlog",
                                   "scorecard_override_rate", "scorecard_automated"))}
    assert figures == {"scorecard_automated_declines": 0.0,
                       "scorecard_oversight_decisions": 5.0,
                       "scorecard_oversight_referred": 1.0,
                       "scorecard_oversight_referred_declines": 1.0,
                       "scorecard_oversight_overridden": 2.0,
                       "scorecard_referral_backlog": 0.0,
                       "scorecard_override_rate": 0.4}
    assert 'scorecard_decision_overrides_total{decision="accept"} 1.0' in exposition
    # The command line: show, verify, replay, export and monitor with the overrides present.
    capsys.readouterr()  # the in-process app's access log
    assert main(["decisions", "show", first, "--log", log_url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["decision"] == "refer" and shown["current_decision"] == "accept"
    assert shown["policy"]["card_decision"] == "decline"
    assert [o["reviewer"] for o in shown["overrides"]] == ["alice"]
    assert main(["decisions", "verify", "--log", log_url]) == 0
    assert "intact: 5 records in 1 chain(s) and 2 override(s)" in capsys.readouterr().out
    assert main(["decisions", "replay", "--log", log_url, "--cards", str(REPO / "reports")]) \
        == 0
    out = tmp_path / "export.csv"
    assert main(["decisions", "export", "--log", log_url, "--output", str(out)]) == 0
    exported = pd.read_csv(out).set_index("decision_id")
    assert exported.loc[first, "current_decision"] == "accept"
    assert exported.loc[first, "overridden_by"] == "alice"
    assert exported.loc[second, "overrides"] == 1
    assert main(["monitor", "--decision-log", log_url, "--out", str(tmp_path / "m")]) in (0, 5)
    printed = capsys.readouterr().out
    assert "2 overridden (override rate 40.00%), 0 referrals open" in printed
    report = json.loads((tmp_path / "m" / "monitoring.json").read_text())["oversight"]
    assert (report["decisions"], report["referred_declines"], report["overridden"],
            report["override_rate"]) == (5, 1, 2, 0.4)
    assert [p["overridden"] for p in report["periods"].values()] == [2]
    assert "Human oversight" in (tmp_path / "m" / "monitoring.html").read_text()
    # An override edited by hand in the database: verify names it.
    store = open_store(log_url)
    store.begin()
    store.execute("UPDATE overrides SET reason = 'nothing to see' WHERE decision_id = ?",
                  (first,))
    store.commit()
    assert main(["decisions", "verify", "--log", log_url]) == 1
    err = capsys.readouterr().err
    assert (f"override {made.json()['override_id']} of decision {first}: its content does "
            "not match its hash (altered)") in err
