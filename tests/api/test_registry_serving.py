"""Serving from the card registry, black-box: a real uvicorn server follows a promotion made
while a client keeps it busy (the next answers carry the new card, no request fails), and
every answer's record carries the challengers' shadow results, which never reach the
answer."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.openapi import example_applicant
from api.service import ScoringService
from api.settings import Settings, SettingsError
from scorecard.card.artifact import load_artifact
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import open_store, verify
from scorecard.errors import EXIT_USAGE
from scorecard.registry.lifecycle import Registry, card_id
from tests.support.registry import CARD, champion, edited_card, write_card
from tests.support.servers import free_port, start_uvicorn

APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)


def applicants(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        a = dict(APPLICANT, uuid=f"a{i}", age=20 + i % 60)
        a["num_active_inv"] = i % 5
        out.append(a)
    return out


def load(base: str, seen: list[tuple[int, str | None, float]], stop: threading.Event) -> None:
    """Post one applicant after another until ``stop``; keep (status, card, time) of each."""
    people = applicants(50)
    with httpx.Client(base_url=base, timeout=10) as client:
        i = 0
        while not stop.is_set():
            r = client.post("/v1/score", json=people[i % len(people)])
            body = r.json() if r.status_code == 200 else {}
            seen.append((r.status_code, body.get("content_hash"), time.monotonic()))
            i += 1


def test_a_promotion_on_a_running_service_switches_cards_without_failing_a_request(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "registry")
    base = champion()
    challenger_path = write_card(tmp_path / "b", edited_card(base, 25))
    new_path = write_card(tmp_path / "c", edited_card(base, -40))
    a, b, c = (card_id(load_artifact(p)) for p in (CARD, challenger_path, new_path))
    for path, role in ((CARD, "champion"), (challenger_path, "challenger")):
        assert main(["registry", "add", str(path), "--store", store, "--author", "alice"]) == 0
        assert main(["registry", "approve", card_id(load_artifact(path)), "--store", store,
                     "--reviewer", "bob", "--reason", "validated"]) == 0
        assert main(["registry", "promote", card_id(load_artifact(path)), "--store", store,
                     "--as", role, "--by", "bob", "--reason", "go"]) == 0
    log_url = f"sqlite:///{tmp_path}/log.db"
    env = {**os.environ, "SCORECARD_REGISTRY": store, "SCORECARD_REGISTRY_POLL_S": "0.2",
           "SCORECARD_DECISION_LOG": log_url, "SCORECARD_CUTOFF": "600",
           "SCORECARD_MAX_IN_FLIGHT": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("SCORECARD_ARTIFACT", None)
    port = free_port()
    server = start_uvicorn(port, "api.protocols:TimedHttpToolsProtocol", env,
                           tmp_path / "server.log")
    url = f"http://127.0.0.1:{port}"
    seen: list[tuple[int, str | None, float]] = []
    stop = threading.Event()
    client = threading.Thread(target=load, args=(url, seen, stop))
    try:
        assert httpx.get(f"{url}/v1/scorecard").json()["content_hash"] == f"sha256:{a}"
        client.start()
        while len(seen) < 200:
            time.sleep(0.05)
        # The new card: added by alice, refused to herself, approved by bob, promoted.
        assert main(["registry", "add", str(new_path), "--store", store, "--author",
                     "alice"]) == 0
        assert main(["registry", "promote", c, "--store", store, "--as", "champion", "--by",
                     "bob", "--reason", "early"]) == EXIT_USAGE
        assert main(["registry", "approve", c, "--store", store, "--reviewer", "alice",
                     "--reason", "mine"]) == EXIT_USAGE
        assert main(["registry", "approve", c, "--store", store, "--reviewer", "bob",
                     "--reason", "validated on the holdout"]) == 0
        promoted = len(seen)
        assert main(["registry", "promote", c, "--store", store, "--as", "champion", "--by",
                     "carol", "--reason", "wins on the shadow run"]) == 0
        deadline = time.monotonic() + 20
        while not any(h == f"sha256:{c}" for _, h, _ in seen[promoted:]):
            assert time.monotonic() < deadline, "the service never switched"
            time.sleep(0.05)
        switched = len(seen)
        while len(seen) < switched + 200:
            time.sleep(0.05)
        stop.set()
        client.join(10)
        card = httpx.get(f"{url}/v1/scorecard").json()
        metrics = httpx.get(f"{url}/metrics").text
    finally:
        stop.set()
        server.terminate()
        server.wait(30)
    statuses = [s for s, _, _ in seen]
    assert statuses.count(200) == len(seen), sorted(set(statuses))
    cards = [h for _, h, _ in seen]
    first_new = cards.index(f"sha256:{c}")
    # One switch: the old card until it, the new one from it on.
    assert set(cards[:first_new]) == {f"sha256:{a}"}
    assert set(cards[first_new:]) == {f"sha256:{c}"}
    assert card["content_hash"] == f"sha256:{c}"
    new_model = load_artifact(new_path)["model_id"]
    assert f'scorecard_model_info{{content_hash="sha256:{c}",model_id="{new_model}"}} 1.0' \
        in metrics
    assert f'scorecard_model_info{{content_hash="sha256:{a}",model_id="{base["model_id"]}"}} ' \
        '0.0' in metrics
    assert f'content_hash="sha256:{b}"' in metrics  # the challenger, in shadow
    assert "scorecard_registry_swaps_total 1.0" in metrics
    capsys.readouterr()
    assert main(["registry", "verify", "--store", store]) == 0
    assert "intact: 10 transition(s)" in capsys.readouterr().out
    # Every answer on record, each with the challenger's shadow: its own scoring of the
    # applicant, never part of the answer.
    log = open_store(log_url)
    assert verify(log) == (len(seen), [])
    shadow_card = ScoringService(load_artifact(challenger_path), cutoff="600")
    for rec in log.records():
        (shadow,) = json.loads(rec["shadow"])
        expected = shadow_card.score_one(json.loads(rec["inputs"]))
        assert (shadow["content_hash"], shadow["score"], shadow["pd"], shadow["grade"],
                shadow["decision"]) == (f"sha256:{b}", expected.score, expected.pd,
                                        expected.grade, expected.decision)
    assert {r["content_hash"] for r in log.records()} == {f"sha256:{a}", f"sha256:{c}"}


def test_answers_never_carry_the_shadow_and_a_registry_without_champion_is_refused(
        tmp_path: Path) -> None:
    from litestar.testing import TestClient

    store = str(tmp_path / "registry")
    reg = Registry(store)
    with pytest.raises(SettingsError, match="no champion"):
        create_app(Settings(registry=store))
    other = write_card(tmp_path / "b", edited_card(champion(), 25))
    for path, role in ((CARD, "champion"), (other, "challenger")):
        cid = reg.add(path, "alice")["card"]
        reg.approve(cid, "bob", "ok")
        reg.promote(cid, role, "bob", "go")
    log_url = f"sqlite:///{tmp_path}/log.db"
    with TestClient(create_app(Settings(registry=store, decision_log=log_url,
                                        cutoff="600"))) as client:
        one = client.post("/v1/score", json=APPLICANT)
        batch = client.post("/v1/score/batch", json=applicants(3))
        explain = client.post("/v1/explain", json={"applicant": APPLICANT})
    for r in (one, batch, explain):
        assert r.status_code == 200 and "shadow" not in r.text
        assert card_id(load_artifact(other)) not in r.text
    records = list(open_store(log_url).records())
    assert len(records) == 5 and all(json.loads(r["shadow"])[0]["score"] for r in records)
    assert {r["endpoint"] for r in records} == {"score", "batch", "explain"}
