"""The local stack (compose.yaml) as a user brings it up: ``podman-compose up`` starts the
API and Prometheus; the API scores through its published port and Prometheus scrapes its
/metrics over the stack's network. Skipped when the images are not built (no podman)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from api.openapi import example_applicant
from scorecard.data.contract import Column
from tests.support.image import built_image
from tests.support.paths import REPO
from tests.support.servers import free_port

pytestmark = pytest.mark.slow


def _call(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
        return json.loads(response.read())


def _eventually(probe: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = probe()
            if result:
                return result
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, str]]:
    if built_image() is None or shutil.which("podman-compose") is None:
        pytest.skip("the images or podman-compose are missing: bash scripts/image.sh")
    ports = {"SCORECARD_PORT": str(free_port()), "PROMETHEUS_PORT": str(free_port())}
    env = {**os.environ, **ports,
           "CONTAINERS_CONF": str(REPO / "scripts" / "containers.conf")}
    compose = ["podman-compose", "--project-name", f"scorecard-test-{ports['SCORECARD_PORT']}",
               "--file", str(REPO / "compose.yaml")]
    up = subprocess.run([*compose, "up", "--detach"], cwd=REPO, env=env, capture_output=True,
                        text=True, timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        yield {"api": f"http://127.0.0.1:{ports['SCORECARD_PORT']}",
               "prometheus": f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}"}
    finally:
        subprocess.run([*compose, "down", "--timeout", "5"], cwd=REPO, env=env,
                       capture_output=True, timeout=300)


def test_the_stack_scores_through_its_published_port_and_prometheus_scrapes_it(
        stack: dict[str, str]) -> None:
    api = stack["api"]
    _eventually(lambda: _call(f"{api}/ready")["status"] == "ready", 90, "the API was not ready")
    card = _call(f"{api}/v1/scorecard")
    columns = [Column.from_dict(c) for c in card["input_contract"]]
    scored = _call(f"{api}/v1/score", example_applicant(columns, card["id_column"]))
    assert 0 < scored["pd"] < 1 and scored["grade"]

    query = f"{stack['prometheus']}/api/v1/query?query=up%7Bjob%3D%22scorecard-api%22%7D"
    # `up` is 1 once a scrape of the API's /metrics succeeded.
    _eventually(lambda: [r for r in _call(query)["data"]["result"] if r["value"][1] == "1"],
                60, "Prometheus scraped no /metrics of the API")
