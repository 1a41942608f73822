"""Load shedding and client deadlines (``api.overload``, ``api.protocols``) on the real server:
uvicorn in a subprocess on 127.0.0.1, no mocks, no timing asserts; and the admission's
arithmetic (limit from the latency budget, the one-at-a-time work slot) with a clock given
as a parameter.

A request holds its in-flight units from the moment the app receives it until its response
ends, its body upload included; a batch whose body is sent in two halves is therefore held
in flight, deterministically, for as long as the test waits between the halves (the
``scorecard_in_flight_units`` gauge of ``/metrics`` tells when the server has it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.overload import BATCH_UNIT_BYTES, INITIAL_UNIT_MS, Admission
from api.settings import Settings, SettingsError
from tests.support.builders import generated_rows
from tests.support.servers import free_port, start_uvicorn


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


HTTPTOOLS = "api.protocols:TimedHttpToolsProtocol"  # refuses at the headers
H11 = "api.protocols:TimedH11Protocol"  # leaves the refusal to the middleware


def _start(log: Path, protocol: str = HTTPTOOLS, **env: str) -> tuple[subprocess.Popen, Server]:
    port = free_port()
    environment = {**os.environ, **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    environment.pop("SCORECARD_API_KEY", None)
    process = start_uvicorn(port, protocol, environment, log)
    return process, Server(f"http://127.0.0.1:{port}", port)


@pytest.fixture(scope="module", params=[HTTPTOOLS, H11], ids=["httptools", "h11"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A fixed limit of 2 units (no latency budget), refused at the headers (httptools) or
    by the middleware (h11)."""
    process, running = _start(tmp_path_factory.mktemp("overload") / "server.log",
                              request.param, SCORECARD_MAX_IN_FLIGHT="2",
                              SCORECARD_LATENCY_BUDGET_MS="0")
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def budget_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A latency budget far below any unit's time: the limit is 1 whatever is measured
    (cap 32), so one held request saturates the worker. The access log is kept."""
    log = tmp_path_factory.mktemp("budget") / "server.log"
    process, running = _start(log, HTTPTOOLS, SCORECARD_LATENCY_BUDGET_MS="0.001",
                              SCORECARD_MAX_BODY_BYTES=str(MAX_BODY),
                              SCORECARD_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S))
    try:
        yield running, log
    finally:
        process.terminate()
        process.wait(timeout=30)


MAX_BODY = 2 * 1024 * 1024
BODY_TIMEOUT_S = 8.0  # long enough for a held request of these tests on a busy machine


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


# --------------------------------------------------------------------------- early refusal


class Raw:
    """One keep-alive connection spoken to byte by byte."""

    def __init__(self, server: Server) -> None:
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, f"closed before a response: {self.buffer[:200]!r}"
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in
                   (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self.buffer += self.sock.recv(65536)
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    def closed_by_server(self) -> bool:
        """Whether the server closes the connection (bounded by the socket timeout)."""
        try:
            return self.buffer == b"" and self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


def _post_head(path: str, framing: str, extra: str = "") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n"
            f"{framing}\r\n{extra}\r\n").encode()


HEALTH = b"GET /health HTTP/1.1\r\nhost: t\r\n\r\n"


def _saturated(server: Server) -> HeldRequest:
    held = HeldRequest(server, "/v1/score", json.dumps(generated_rows()[0]).encode())
    server.wait_in_flight(1)
    return held


def _assert_refused(status: int, headers: dict[str, str], body: bytes) -> None:
    assert status == 503 and headers["retry-after"] == "1" and headers["x-request-id"]
    assert "overloaded" in json.loads(body)["detail"]


def test_the_latency_budget_sets_the_limit_below_the_cap(
        budget_server: tuple[Server, Path]) -> None:
    server, _ = budget_server
    assert server.metric("scorecard_in_flight_limit_units") == 1  # cap 32, budget 0.001 ms
    held = _saturated(server)
    single = json.dumps(generated_rows()[0]).encode()
    refused = httpx.post(server.url + "/v1/score", content=single, timeout=10,
                         headers={"content-type": "application/json"})
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert held.finish()[0] == 200
    server.wait_in_flight(0)
    assert server.metric("scorecard_unit_service_seconds") > 0


def test_a_saturated_worker_refuses_at_the_headers_without_reading_the_body(
        budget_server: tuple[Server, Path]) -> None:
    server, log = budget_server
    held = _saturated(server)
    body = _batch_body(300)
    conn = Raw(server)
    # Only the headers: the 503 comes before a byte of the body is sent.
    conn.send(_post_head("/v1/score/batch", f"content-length: {len(body)}"))
    status, headers, payload = conn.response()
    _assert_refused(status, headers, payload)
    assert headers.get("connection") != "close"
    assert httpx.get(server.url + "/health", timeout=10).status_code == 200
    # The body that follows is read and discarded; the connection serves the next request.
    conn.send(body + HEALTH)
    assert conn.response()[0] == 200
    conn.close()
    assert held.finish()[0] == 200
    server.wait_in_flight(0)
    # Early refusals are logged as one summary line per second, not one line each.
    deadline = time.monotonic() + 30
    while '"event":"shed"' not in log.read_text():
        assert time.monotonic() < deadline, "no shed summary in the log"
        time.sleep(0.1)
    assert server.metric('scorecard_shed_total{route="/v1/score/batch"}') >= 1


def test_a_refused_chunked_body_is_discarded_and_pipelined_requests_are_answered_in_order(
        budget_server: tuple[Server, Path]) -> None:
    server, _ = budget_server
    held = _saturated(server)
    part = _batch_body(20)
    chunked = (_post_head("/v1/score/batch", "transfer-encoding: chunked")
               + f"{len(part):x}\r\n".encode() + part + b"\r\n0\r\n\r\n")
    single = json.dumps(generated_rows()[0]).encode()
    conn = Raw(server)
    conn.send(chunked + _post_head("/v1/score", f"content-length: {len(single)}") + single
              + HEALTH)
    _assert_refused(*conn.response())
    _assert_refused(*conn.response())
    assert conn.response()[0] == 200
    conn.close()
    assert held.finish()[0] == 200
    server.wait_in_flight(0)


@pytest.mark.parametrize(("extra", "length"), [
    ("expect: 100-continue\r\n", 1000),  # its body never comes without a 100 Continue
    ("", MAX_BODY + 1),  # over the limit: not worth reading
])
def test_a_refused_request_whose_body_will_not_be_read_closes_the_connection(
        budget_server: tuple[Server, Path], extra: str, length: int) -> None:
    server, _ = budget_server
    held = _saturated(server)
    conn = Raw(server)
    conn.send(_post_head("/v1/score/batch", f"content-length: {length}", extra))
    status, headers, payload = conn.response()
    _assert_refused(status, headers, payload)
    assert headers["connection"] == "close"
    assert conn.closed_by_server()
    conn.close()
    assert held.finish()[0] == 200


def test_a_refused_request_whose_body_stalls_is_cut_off_at_the_body_deadline(
        budget_server: tuple[Server, Path]) -> None:
    server, log = budget_server
    held = _saturated(server)
    conn = Raw(server)
    conn.send(_post_head("/v1/score/batch", "content-length: 100000") + b"[")
    _assert_refused(*conn.response())
    assert held.finish()[0] == 200
    conn.sock.settimeout(BODY_TIMEOUT_S + 30)
    assert conn.closed_by_server()  # after SCORECARD_BODY_TIMEOUT_S, not at once
    conn.close()
    assert "refused request's body took over" in log.read_text()


def test_a_refused_request_asking_to_close_is_answered_then_closed_after_its_body(
        budget_server: tuple[Server, Path]) -> None:
    server, _ = budget_server
    held = _saturated(server)
    body = _batch_body(50)
    conn = Raw(server)
    conn.send(_post_head("/v1/score/batch", f"content-length: {len(body)}",
                         "connection: close\r\n"))
    status, headers, payload = conn.response()
    _assert_refused(status, headers, payload)
    assert headers["connection"] == "close"
    conn.send(body)
    assert conn.closed_by_server()
    conn.close()
    assert held.finish()[0] == 200


def test_units_admitted_at_the_headers_are_released_however_the_request_ends(
        budget_server: tuple[Server, Path]) -> None:
    server, _ = budget_server
    for headers, content, status in [({"x-request-timeout-ms": "abc"}, b"{}", 400),
                                     ({}, b"{not json", 400), ({}, b'{"nope": 1}', 422)]:
        response = httpx.post(server.url + "/v1/score", content=content, timeout=10,
                              headers={"content-type": "application/json", **headers})
        assert response.status_code == status
        server.wait_in_flight(0)
    # A client that leaves before its body is complete.
    left = HeldRequest(server, "/v1/score/batch", _batch_body(50))
    server.wait_in_flight(1)
    left.sock.close()
    server.wait_in_flight(0)


# --------------------------------------------------------------------------- arithmetic


def test_the_limit_is_the_latency_budget_over_the_measured_time_per_unit() -> None:
    now = [0.0]  # the wall clock and the worker's CPU clock alike: all of it is work
    admission = Admission(32, budget_ms=25.0, clock=lambda: now[0], cpu_clock=lambda: now[0])
    assert admission.limit == int(25 / INITIAL_UNIT_MS) - 1

    async def work(unit_s: float, units: int, jobs: int) -> None:
        for _ in range(jobs):
            await admission.start_work()
            now[0] += unit_s * units
            admission.end_work(units)

    asyncio.run(work(0.010, 5, 80))  # 10 ms a unit: 25 / 10 - 1 -> 1
    assert abs(admission.unit_ms - 10) < 0.1 and admission.limit == 1
    asyncio.run(work(0.002, 50, 150))  # 2 ms a unit: 25 / 2 - 1 -> 11
    assert abs(admission.unit_ms - 2) < 0.05 and admission.limit == 11
    asyncio.run(work(0.0001, 500, 60))  # 0.1 ms a unit: 249, capped at 32
    assert admission.limit == 32
    assert admission.cost(True, 100 * BATCH_UNIT_BYTES) == 32  # a batch costs at most the limit
    fixed, unlimited = Admission(5, budget_ms=0.0), Admission(0, budget_ms=25.0)
    assert fixed.limit == 5 and unlimited.limit == 0 and unlimited.acquire(10_000)


def test_start_up_is_charged_to_no_request_and_the_first_measurement_replaces_the_guess(
        ) -> None:
    now = [0.0]
    admission = Admission(32, budget_ms=25.0, clock=lambda: now[0], cpu_clock=lambda: now[0])
    now[0] += 2.0  # the rest of start-up: building the app, loading the card, its hooks
    admission.start_serving()

    async def work(unit_s: float, jobs: int) -> None:
        for _ in range(jobs):
            await admission.start_work()
            now[0] += unit_s
            admission.end_work(1)

    asyncio.run(work(0.001, 120))  # 1 ms a request from the first window on: 25 / 1 - 1
    assert abs(admission.unit_ms - 1.0) < 0.01 and admission.limit == 24


def test_admitted_work_runs_one_at_a_time_in_order_with_a_loop_turn_between() -> None:
    admission = Admission(8)
    events: list[tuple[str, str]] = []

    async def job(name: str) -> None:
        await admission.start_work()
        events.append(("start", name))
        asyncio.get_running_loop().call_soon(events.append, ("turn", name))
        await asyncio.sleep(0)  # yields while holding the slot: nobody else may start
        events.append(("end", name))
        admission.end_work(1)

    async def main() -> None:
        await asyncio.gather(job("a"), job("b"), job("c"))

    asyncio.run(main())
    starts = [name for kind, name in events if kind == "start"]
    assert starts == ["a", "b", "c"]
    for first, then in (("a", "b"), ("b", "c")):
        assert events.index(("end", first)) < events.index(("start", then))
        # A callback scheduled during a job runs before the next job starts.
        assert events.index(("turn", first)) < events.index(("start", then))


def test_a_cancelled_waiter_never_keeps_the_slot() -> None:
    admission = Admission(8)

    async def main() -> None:
        await admission.start_work()
        waiting = asyncio.create_task(admission.start_work())
        await asyncio.sleep(0)
        waiting.cancel()  # cancelled while waiting
        handed = asyncio.create_task(admission.start_work())
        await asyncio.sleep(0)
        admission.end_work(1)
        await asyncio.sleep(0)  # the slot is handed to `handed` ...
        handed.cancel()  # ... which is cancelled before it runs: it passes the slot on
        for task in (waiting, handed):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.sleep(0)
        free = asyncio.create_task(admission.start_work())
        await asyncio.sleep(0)
        assert free.done()  # the slot was free: taken without waiting

    asyncio.run(main())
