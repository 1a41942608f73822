"""Load shedding and client deadlines (``api.overload``) on the real server: uvicorn in a
subprocess on 127.0.0.1, no mocks, no timing asserts.

A request holds its in-flight units from the moment the app receives it until its response
ends, its body upload included; a batch whose body is sent in two halves is therefore held
in flight, deterministically, for as long as the test waits between the halves (the
``scorecard_in_flight_units`` gauge of ``/metrics`` tells when the server has it).
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.overload import BATCH_UNIT_BYTES, Admission
from api.settings import Settings, SettingsError
from tests.helpers import REPO, generated_rows


@dataclass
class Server:
    url: str
    port: int

    def metric(self, name: str) -> float:
        text = httpx.get(self.url + "/metrics", timeout=10).text
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    def wait_in_flight(self, units: float) -> None:
        """Poll the gauge until it shows ``units`` (bounded: fails after 30 s)."""
        deadline = time.monotonic() + 30
        while self.metric("scorecard_in_flight_units") != units:
            assert time.monotonic() < deadline, f"in-flight gauge never reached {units}"
            time.sleep(0.02)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(log: Path, **env: str) -> tuple[subprocess.Popen, Server]:
    port = _free_port()
    environment = {**os.environ, **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    environment.pop("SCORECARD_API_KEY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--http", "api.server:TimedHttpToolsProtocol",
         "--no-access-log"], cwd=REPO, env=environment, stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                return process, server
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    process, running = _start(tmp_path_factory.mktemp("overload") / "server.log",
                              SCORECARD_MAX_IN_FLIGHT="2")
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


def _batch_body(n: int) -> bytes:
    rows = generated_rows()
    return json.dumps([rows[i % len(rows)] for i in range(n)]).encode()


class HeldRequest:
    """A POST whose body is sent in two halves over a raw socket: in flight until
    :meth:`finish`."""

    def __init__(self, server: Server, path: str, body: bytes, chunked: bool = False,
                 headers: dict[str, str] | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        framing = ("transfer-encoding: chunked" if chunked
                   else f"content-length: {len(body)}")
        self.chunked = chunked
        half = len(body) // 2
        self.rest = body[half:]
        self.sock.sendall(f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/json"
                          f"\r\n{framing}\r\n{extra}\r\n".encode() + self._frame(body[:half]))

    def _frame(self, part: bytes) -> bytes:
        return f"{len(part):x}\r\n".encode() + part + b"\r\n" if self.chunked else part

    def finish(self) -> tuple[int, dict[str, str], bytes]:
        tail = self._frame(self.rest) + (b"0\r\n\r\n" if self.chunked else b"")
        self.sock.sendall(tail)
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += self.sock.recv(65536)
        self.sock.close()
        return int(lines[0].split()[1]), headers, body


def test_a_request_beyond_the_in_flight_limit_gets_503_while_probes_still_answer(
        server: Server) -> None:
    body = _batch_body(1_000)
    assert math.ceil(len(body) / BATCH_UNIT_BYTES) >= 2  # costs the whole limit of 2
    shed_before = server.metric('scorecard_shed_total{route="/v1/score"}')
    held = HeldRequest(server, "/v1/score/batch", body)
    server.wait_in_flight(2)
    single = json.dumps(generated_rows()[0]).encode()
    refused = httpx.post(server.url + "/v1/score", content=single, timeout=10,
                         headers={"content-type": "application/json"})
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-request-id"]
    error = refused.json()
    assert error["status_code"] == 503 and "overloaded" in error["detail"]
    for probe in ("/health", "/ready", "/metrics", "/v1/scorecard", "/schema/openapi.json"):
        assert httpx.get(server.url + probe, timeout=10).status_code == 200, probe
    assert server.metric('scorecard_shed_total{route="/v1/score"}') == shed_before + 1
    status, _, payload = held.finish()
    assert status == 200 and json.loads(payload)["count"] == 1_000
    server.wait_in_flight(0)
    accepted = httpx.post(server.url + "/v1/score", content=single, timeout=10,
                          headers={"content-type": "application/json"})
    assert accepted.status_code == 200 and "score" in accepted.json()


def test_two_single_scores_fit_a_limit_of_two_and_a_third_is_shed(server: Server) -> None:
    single = json.dumps(generated_rows()[0]).encode()
    first, second = (HeldRequest(server, "/v1/score", single) for _ in range(2))
    server.wait_in_flight(2)
    third = HeldRequest(server, "/v1/score", single)
    assert third.finish()[0] == 503
    assert first.finish()[0] == 200 and second.finish()[0] == 200


def test_a_chunked_batch_is_charged_its_real_size_once_its_body_is_in(server: Server) -> None:
    single = json.dumps(generated_rows()[0]).encode()
    held = HeldRequest(server, "/v1/score", single)  # 1 unit
    server.wait_in_flight(1)
    # No Content-Length: charged 1 unit on arrival (admitted), topped up to 2 (the whole
    # limit) once its ~300 KB are in; 1 + 2 > 2, so it is shed before any scoring.
    chunked = HeldRequest(server, "/v1/score/batch", _batch_body(200), chunked=True)
    server.wait_in_flight(2)
    status, headers, payload = chunked.finish()
    assert status == 503 and headers["retry-after"] == "1"
    assert json.loads(payload)["status_code"] == 503
    assert held.finish()[0] == 200


def test_a_deadline_that_passes_before_the_work_starts_gets_503_and_nothing_is_scored(
        server: Server) -> None:
    before = server.metric('scorecard_applicants_scored_total{endpoint="batch"}')
    held = HeldRequest(server, "/v1/score/batch", _batch_body(10),
                       headers={"x-request-timeout-ms": "50"})
    server.wait_in_flight(1)
    time.sleep(0.3)  # well past the 50 ms deadline (a precondition, not a timed assert)
    status, headers, payload = held.finish()
    assert status == 503 and headers["retry-after"] == "1"
    assert "deadline exceeded" in json.loads(payload)["detail"]
    assert server.metric('scorecard_applicants_scored_total{endpoint="batch"}') == before
    assert server.metric('scorecard_deadline_expired_total{route="/v1/score/batch"}') >= 1


@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "inf", ""])
def test_a_malformed_deadline_header_gets_400_naming_the_header(server: Server,
                                                                 value: str) -> None:
    response = httpx.post(server.url + "/v1/score", content=b"{}", timeout=10,
                          headers={"x-request-timeout-ms": value,
                                   "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("X-Request-Timeout-Ms")


def test_a_deadline_below_the_least_service_time_is_refused_at_once(server: Server) -> None:
    response = httpx.post(server.url + "/v1/score", content=b"{}", timeout=10,
                          headers={"x-request-timeout-ms": "0.5"})
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert "deadline exceeded" in response.json()["detail"]


def test_a_generous_deadline_scores_as_usual(server: Server) -> None:
    single = json.dumps(generated_rows()[0]).encode()
    response = httpx.post(server.url + "/v1/score", content=single, timeout=10,
                          headers={"x-request-timeout-ms": "60000",
                                   "content-type": "application/json"})
    assert response.status_code == 200 and "score" in response.json()


def test_a_batch_costs_one_unit_per_hundred_applicants_capped_at_the_limit() -> None:
    admission = Admission(8)
    assert admission.cost(False, 50_000) == 1
    assert admission.cost(True, 1) == 1
    assert admission.cost(True, BATCH_UNIT_BYTES) == 1
    assert admission.cost(True, BATCH_UNIT_BYTES + 1) == 2
    assert admission.cost(True, 14_000_000) == 8  # a 10,000-row batch takes the worker
    assert Admission(0).cost(True, 14_000_000) == 100
    assert admission.acquire(8) and not admission.acquire(1)
    admission.release(8)
    assert admission.in_flight == 0 and admission.acquire(1)
    unlimited = Admission(0)
    assert all(unlimited.acquire(100) for _ in range(10))


@pytest.mark.parametrize(("raw", "message"), [("-1", "must be >= 0"),
                                              ("many", "is not an integer")])
def test_an_unusable_in_flight_limit_is_refused_naming_the_variable(raw: str,
                                                                   message: str) -> None:
    with pytest.raises(SettingsError, match=f"SCORECARD_MAX_IN_FLIGHT.*{message}"):
        Settings.from_env({"SCORECARD_MAX_IN_FLIGHT": raw})
    assert Settings.from_env({}).max_in_flight == 32
    assert Settings.from_env({"SCORECARD_MAX_IN_FLIGHT": "0"}).max_in_flight == 0
