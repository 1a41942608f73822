"""Every answer on record: decision ids, the record each answer commits before it leaves
(SQLite and a real PostgreSQL), personal columns hashed, and the service failing closed
(503, /ready unready) or, when told, answering without a record and counting it."""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.openapi import example_applicant
from api.settings import Settings, SettingsError
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import DecisionLogError, open_store, verify
from tests.api.conftest import ClientFactory

APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)


def applicants(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        a = copy.deepcopy(APPLICANT)
        a["uuid"] = f"applicant-{i}"
        a["age"] = 20 + i % 60
        out.append(a)
    return out


def test_every_answer_carries_a_time_ordered_decision_id(api_client: ClientFactory) -> None:
    with api_client(cutoff="600") as client:
        one = client.post("/v1/score", json=APPLICANT)
        batch = client.post("/v1/score/batch", json=applicants(5)).json()["results"]
        explain = client.post("/v1/explain", json={"applicant": APPLICANT})
    assert one.headers["x-decision-id"] == one.json()["decision_id"]
    assert explain.headers["x-decision-id"] == explain.json()["decision_id"]
    ids = [one.json()["decision_id"], *(r["decision_id"] for r in batch),
           explain.json()["decision_id"]]
    assert ids == sorted(ids) and len(set(ids)) == 7


def test_each_answer_is_in_the_log_as_answered(api_client: ClientFactory, log_url: str) -> None:
    with api_client(cutoff="600", api_key="s3cret-key", decision_log=log_url,
                reason_method="cutoff") as client:
        key = {"X-API-Key": "s3cret-key"}
        one = client.post("/v1/score", json=APPLICANT, headers=key).json()
        batch = client.post("/v1/score/batch", json=applicants(3), headers=key).json()
        explain = client.post("/v1/explain", json={"applicant": APPLICANT, "cutoff": "620"},
                              headers=key).json()
    store = open_store(log_url)
    rec = store.get(one["decision_id"])
    assert rec is not None
    assert (rec["pd"], rec["score"], rec["grade"], rec["decision"]) == (
        one["pd"], one["score"], one["grade"], one["decision"])
    assert json.loads(rec["reasons"]) == [r["code"] for r in one["reasons"]]
    assert rec["reason_method"] == "cutoff" and rec["endpoint"] == "score"
    assert json.loads(rec["inputs"]) == APPLICANT
    assert list(json.loads(rec["inputs"])) == sorted(APPLICANT)  # canonical: sorted keys
    assert json.loads(rec["policy"])["cutoff"] == "600"
    assert rec["api_key_id"].startswith("sha256:") and "s3cret" not in rec["api_key_id"]
    assert rec["received"].endswith("Z") and rec["latency_ms"] > 0
    for item, sent in zip(batch["results"], applicants(3), strict=True):
        logged = store.get(item["decision_id"])
        assert logged["endpoint"] == "batch" and logged["applicant_id"] == sent["uuid"]
        assert logged["score"] == item["score"]
    logged = store.get(explain["decision_id"])
    assert logged["endpoint"] == "explain" and json.loads(logged["policy"])["cutoff"] == "620"
    assert logged["decision"] == explain["decision"]
    assert verify(store) == (5, [])


def test_personal_columns_are_stored_only_as_salted_hashes(api_client: ClientFactory,
                                                           tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with api_client(decision_log=url, decision_log_hashed=("uuid",),
                decision_log_salt="pepper") as client:
        answer = client.post("/v1/score", json=APPLICANT).json()
    rec = open_store(url).get(answer["decision_id"])
    assert answer["uuid"] == APPLICANT["uuid"]  # the answer still echoes it
    assert rec["applicant_id"].startswith("hmac:")
    assert json.loads(rec["inputs"])["uuid"] == rec["applicant_id"]
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert APPLICANT["uuid"].encode() not in raw


def test_settings_refuse_a_hash_without_salt_or_of_a_feature(artifact_path: Path,
                                                             tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SALT"):
        Settings(decision_log="sqlite:///x.db", decision_log_hashed=("uuid",))
    with pytest.raises(SettingsError, match="age are scored features"):
        create_app(Settings(artifact=artifact_path, decision_log=f"sqlite:///{tmp_path}/l.db",
                            decision_log_hashed=("age",), decision_log_salt="s"))
    with pytest.raises(DecisionLogError, match="does not exist"):
        create_app(Settings(artifact=artifact_path,
                            decision_log=f"sqlite:///{tmp_path}/nowhere/l.db"))


def _rename(url: str, a: str, b: str) -> None:
    store = open_store(url)
    store.begin()
    store.execute(f"ALTER TABLE {a} RENAME TO {b}")
    store.commit()
    store.close()


def _wait(predicate: Any, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return True
        threading.Event().wait(0.05)
    return predicate()


def test_a_failing_store_means_503_and_unready_until_it_recovers(api_client: ClientFactory,
                                                                 log_url: str) -> None:
    with api_client(decision_log=log_url) as client:
        assert client.post("/v1/score", json=APPLICANT).status_code == 200
        _rename(log_url, "decisions", "hidden")
        r = client.post("/v1/score", json=APPLICANT)
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert "decision log" in r.json()["detail"]
        assert client.post("/v1/score/batch", json=applicants(2)).status_code == 503
        ready = client.get("/ready")
        assert ready.status_code == 503 and "decision log" in ready.json()["detail"]
        assert 'scorecard_decisions_unlogged_total{reason="error"}' in \
            client.get("/metrics").text
        _rename(log_url, "hidden", "decisions")
        assert _wait(lambda: client.get("/ready").status_code == 200)
        assert client.post("/v1/score", json=APPLICANT).status_code == 200
    assert verify(open_store(log_url)) == (2, [])


def test_a_store_slower_than_the_deadline_means_503_and_unready(api_client: ClientFactory,
                                                                tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with api_client(decision_log=url, decision_log_deadline_ms=200) as client:
        blocker = sqlite3.connect(tmp_path / "log.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the file
        try:
            r = client.post("/v1/score", json=APPLICANT)
            assert r.status_code == 503
            assert client.get("/ready").status_code == 503
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert _wait(lambda: client.get("/ready").status_code == 200)
        late = client.post("/v1/score", json=APPLICANT)
        assert late.status_code == 200
    # The 503's record was committed once the lock went: on record, never answered.
    store = open_store(url)
    assert store.count() == 2 and store.get(late.json()["decision_id"]) is not None


def test_answering_without_a_record_is_allowed_only_when_set_and_counted(
        api_client: ClientFactory, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/log.db"
    with api_client(decision_log=url, decision_log_required=False) as client:
        _rename(url, "decisions", "hidden")
        r = client.post("/v1/score", json=APPLICANT)
        assert r.status_code == 200 and r.json()["decision_id"]
        assert client.get("/ready").status_code == 200
        metrics = client.get("/metrics").text
    line = next(x for x in metrics.splitlines()
                if x.startswith('scorecard_decisions_unlogged_total{reason="error"}'))
    assert float(line.split()[-1]) >= 1


def test_a_dropped_database_connection_is_a_503_at_most_then_recovered(
        api_client: ClientFactory, postgres_url: str) -> None:
    import psycopg

    with api_client(decision_log=postgres_url) as client:
        first = client.post("/v1/score", json=APPLICANT)
        assert first.status_code == 200
        database = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                          "datname = %s AND pid <> pg_backend_pid()", (database,))
        statuses, answered = [], [first.json()["decision_id"]]
        for _ in range(40):
            r = client.post("/v1/score", json=APPLICANT)
            statuses.append(r.status_code)
            if r.status_code == 200:
                answered.append(r.json()["decision_id"])
                if statuses[-3:] == [200] * 3:
                    break
            threading.Event().wait(0.1)
        assert set(statuses) <= {200, 503} and statuses[-3:] == [200] * 3
    store = open_store(postgres_url)
    assert all(store.get(d) is not None for d in answered)
    assert verify(store)[1] == []
