"""A SIGKILL of the real server (uvicorn, one worker) under load loses no record of any
decision a client received, on SQLite and on a real PostgreSQL; the log verifies after a
restart, and the restarted server opens a new chain beside the old one."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from api.openapi import example_applicant
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import open_store, verify
from tests.support.servers import free_port, start_uvicorn

APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)
CLIENTS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/log.db"
    return str(request.getfixturevalue("postgres_url"))


def load(base: str, received: list[str], stop: threading.Event, batch: bool) -> None:
    """Post until ``stop`` or the server dies; keep the id of every 200 answer."""
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            try:
                if batch:
                    r = client.post("/v1/score/batch", json=[APPLICANT] * 20)
                    if r.status_code == 200:
                        received += [x["decision_id"] for x in r.json()["results"]]
                else:
                    r = client.post("/v1/score", json=APPLICANT)
                    if r.status_code == 200:
                        received.append(r.headers["x-decision-id"])
            except httpx.HTTPError:
                return


def test_sigkill_under_load_loses_no_answered_decision(log_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "SCORECARD_DECISION_LOG": log_url, "SCORECARD_MAX_IN_FLIGHT": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    received: list[str] = []
    for run in range(2):
        port = free_port()
        process = start_uvicorn(port, "api.protocols:TimedHttpToolsProtocol", env,
                                tmp_path / f"server{run}.log")
        stop = threading.Event()
        clients = [threading.Thread(target=load, args=(f"http://127.0.0.1:{port}", received,
                                                       stop, i % 4 == 0))
                   for i in range(CLIENTS)]
        for c in clients:
            c.start()
        before = len(received)
        deadline = time.monotonic() + 20
        while len(received) < before + 400 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # mid-load: requests are in flight
        process.wait(timeout=30)
        stop.set()
        for c in clients:
            c.join(30)
        assert len(received) >= before + 400
    store = open_store(log_url)
    logged = {r["decision_id"] for r in store.records()}
    lost = [d for d in received if d not in logged]
    assert not lost, f"{len(lost)} answered decisions have no record, e.g. {lost[:3]}"
    checked, findings = verify(store)
    assert findings == [] and checked == len(logged) >= len(received)
    assert len(store.chains()) == 2
