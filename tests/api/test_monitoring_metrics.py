"""The live service's population counters give exactly the offline monitoring figures.

Rows go through HTTP to the real app (Litestar TestClient in-process, and a uvicorn
subprocess on 127.0.0.1), some one by one and the rest in a batch; ``monitor`` on the
``/metrics`` snapshot (minus a snapshot taken before, in-process, where other tests' traffic
shares the registry) must equal ``monitor --input`` of the same rows, figure for figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from scorecard.card.artifact import load_artifact
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.files import write_dataset
from scorecard.data.synthetic.drift import Drift, generate_period
from scorecard.jobs.monitor import monitor_frames, monitor_metrics
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
N_SINGLE, N_BATCH = 40, 1500


def _rows(frame: Any) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (bool(v) if isinstance(v, bool | np.bool_) else v) for k, v in r.items()
             if k != "default"} for r in rows]


@pytest.fixture(scope="module")
def period() -> Any:
    # a shifted period, so the figures are not all near zero
    drift = [Drift.parse("shift:num_arch_ok_0_12m=0.7@1", 1)]
    return generate_period(1, N_SINGLE + N_BATCH, 0, 77, drift)[0]


def _send(post: Any, rows: list[dict[str, Any]]) -> None:
    for r in rows[:N_SINGLE]:
        assert post("/v1/score", r).status_code in (200, 201)
    assert post("/v1/score/batch", rows[N_SINGLE:]).status_code in (200, 201)


def _population(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k != "name"} for p in report["periods"]]


def test_snapshot_difference_equals_the_rows_figures(artifact_path: Path, period: Any) -> None:
    card = load_artifact(artifact_path)
    rows = _rows(period)
    with TestClient(create_app(Settings(artifact=artifact_path))) as client:
        before = client.get("/metrics").text
        _send(lambda path, body: client.post(path, json=body), rows)
        after = client.get("/metrics").text
    live = monitor_metrics(card, after, before)
    offline = monitor_frames(card, [("live", period)], False, None)
    assert live["periods"][0]["volume"] == N_SINGLE + N_BATCH
    assert _population(live) == _population(offline)
    assert live["periods"][0]["score"]["psi"] > 0.01  # the shift shows


def test_single_scores_reach_the_counters_within_a_second_without_a_scrape(
        artifact_path: Path) -> None:
    import asyncio

    from prometheus_client import REGISTRY

    from api import prometheus

    card = load_artifact(artifact_path)
    population = prometheus.Population(card)
    name = card["features"][0]["name"]
    labels = {"model_id": card["model_id"], "characteristic": name, "bin": "0"}

    def count() -> float:
        return REGISTRY.get_sample_value("scorecard_characteristic_bin_applicants_total",
                                         labels) or 0.0

    async def go() -> tuple[float, float, float]:
        start = count()
        for _ in range(3):
            population.one(600, None, [0] * len(card["features"]))
        waiting = count()  # kept in the worker, not yet in the counters
        await asyncio.sleep(prometheus.FLUSH_EVERY_S + 0.3)
        return start, waiting, count()

    start, waiting, later = asyncio.run(go())
    assert waiting == start and later == start + 3


def test_cli_reads_the_metrics_url_of_a_running_server(tmp_path: Path, period: Any) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCORECARD_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--no-access-log"], cwd=REPO, env=env,
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        with httpx.Client(base_url=url, timeout=60) as http:
            _send(lambda path, body: http.post(path, json=body), _rows(period))
        live = tmp_path / "live"
        assert main(["monitor", "--artifact", str(REPO / "reports" / "scorecard.json"),
                     "--metrics", url + "/metrics", "--out", str(live)]) in (0, 5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    data = tmp_path / "live.csv"
    write_dataset(period, data, KLARNA)
    rows = tmp_path / "rows"
    assert main(["monitor", "--artifact", str(REPO / "reports" / "scorecard.json"),
                 "--input", str(data), "--out", str(rows)]) in (0, 5)
    a = json.loads((live / "monitoring.json").read_text())
    b = json.loads((rows / "monitoring.json").read_text())
    assert a["source"] == "metrics" and b["source"] == "rows"
    assert _population(a) == _population(b)
    assert a["breached"] == b["breached"]
