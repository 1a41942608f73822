"""The real server (uvicorn subprocess on 127.0.0.1, the Dockerfile's protocol class), no
mocks: bounded work for a hostile batch, closed metric labels, 499 for clients that leave,
header and body deadlines, HEAD.

Run as a module with ``python -m tests.api.test_protocols`` to print the figures (RSS before
and after a 32 MiB batch of empty objects, /health latency during it, /metrics size).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.builders import generated_rows
from tests.support.servers import free_port, start_uvicorn

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 2.0
MAX_BODY = 32 * 1024 * 1024


@dataclass
class Server:
    url: str
    port: int
    pid: int
    log: Path

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))  # type: ignore[union-attr]

    def access(self) -> list[dict]:
        lines = self.log.read_text().splitlines()
        return [r for r in map(_json_or_none, lines) if r and r.get("event") == "request"]


def _json_or_none(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


PROTOCOLS = ("api.protocols:TimedHttpToolsProtocol", "api.protocols:TimedH11Protocol")


def start_server(log: Path, protocol: str = PROTOCOLS[0],
                 **env: str) -> tuple[subprocess.Popen, Server]:
    port = free_port()
    environment = {**os.environ, "SCORECARD_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
                   "SCORECARD_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
                   "SCORECARD_MAX_BODY_BYTES": str(MAX_BODY), **env}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = start_uvicorn(port, protocol, environment, log)
    return process, Server(f"http://127.0.0.1:{port}", port, process.pid, log)


@pytest.fixture(scope="module", params=PROTOCOLS, ids=["httptools", "h11"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    process, running = start_server(tmp_path_factory.mktemp("server") / "server.log",
                                    request.param)
    try:
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


def empty_objects_body(size: int) -> bytes:
    """``[{},{},...]`` of about ``size`` bytes (~``size / 3`` items)."""
    n = (size - 2) // 3
    return b"[" + b"{}," * (n - 1) + b"{}]"


def hostile_batch(server: Server) -> dict[str, float]:
    """POST a 32 MiB ``[{},{},...]`` while probing /health; the figures of the run."""
    body = empty_objects_body(MAX_BODY - 1024)
    before = server.rss_kib()
    probes: list[tuple[float, float, int]] = []  # (sent, answered, status)
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=30) as client:
            while not done.is_set():
                sent = time.monotonic()
                status = client.get(server.url + "/health").status_code
                probes.append((sent, time.monotonic(), status))
                time.sleep(0.02)

    prober = threading.Thread(target=probe)
    prober.start()
    start = time.monotonic()
    try:
        response = httpx.post(server.url + "/v1/score/batch", content=body, timeout=120,
                              headers={"content-type": "application/json"})
    finally:
        finished = time.monotonic()
        done.set()
        prober.join()
    during = [p for p in probes if p[0] >= start and p[1] <= finished]
    return {"status": response.status_code, "items": body.count(b"{}"),
            "rule": response.json()["errors"][0]["rule"] if response.status_code == 422 else "",
            "rss_before_kib": before, "rss_after_kib": server.rss_kib(),
            "request_s": finished - start, "probes_during": len(during),
            "probes_ok": sum(p[2] == 200 for p in during),
            "probe_max_s": max((p[1] - p[0] for p in during), default=float("nan"))}


def test_a_32_mib_batch_of_empty_objects_is_refused_without_building_them(
        server: Server) -> None:
    run = hostile_batch(server)
    assert run["status"] == 422 and run["rule"] == "max_items", run
    # ~11 M dicts would be gigabytes; the body itself is 32 MiB (read, then joined once).
    assert run["rss_after_kib"] - run["rss_before_kib"] < 160 * 1024, run
    # The server kept answering its probes while the request was in flight.
    assert run["probes_ok"] == run["probes_during"], run


def test_invented_methods_do_not_grow_the_metrics(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        before = len(client.get("/metrics").text)  # the card's own series: its size
        # Invented tokens (h11 passes them on, httptools answers 400 itself) and real
        # methods outside the list (both pass them on).
        for i in range(2000):
            method = (f"X{i:05d}", "PROPFIND", "MKCOL", "PURGE")[i % 4]
            client.request(method, "/v1/score" if i % 2 else f"/nope/{i}")
        text = client.get("/metrics").text
    assert 'method="other"' in text
    assert "X0" not in text and "/nope/" not in text
    methods = set(re.findall(r'method="([^"]*)"', text))
    routes = set(re.findall(r'route="([^"]*)"', text))
    statuses = set(re.findall(r'status="([^"]*)"', text))
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert routes <= {"/v1/score", "/v1/score/batch", "/v1/scorecard", "/v1/ping", "/metrics",
                      "/health", "/ready", "/schema/openapi.json", "unmatched"}, routes
    assert statuses <= {"1xx", "2xx", "3xx", "4xx", "5xx"}, statuses
    # A few new series (method "other", route "unmatched", 4xx), not one per request.
    assert len(text) - before < 16 * 1024, (before, len(text))


def _wait_for(predicate, what: str, seconds: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def test_a_client_that_leaves_before_the_response_is_a_499(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.sendall(b"POST /v1/score/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 100000\r\nX-Request-ID: leaver-1\r\n\r\n[{},")
        time.sleep(0.2)  # let the app start reading the body
    record = _wait_for(lambda: next((r for r in server.access()
                                     if r["request_id"] == "leaver-1"), None), "the access log")
    assert record["status"] == 499, record
    assert not [r for r in server.access() if r["status"] >= 500]
    text = httpx.get(server.url + "/metrics").text
    assert re.search(r'scorecard_http_client_disconnects_total\{route="/v1/score/batch"\} '
                     r"[1-9]", text)


def test_a_slowloris_client_is_cut_off_by_the_header_deadline(server: Server) -> None:
    head = b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(30)
        closed = False
        for i in range(len(head)):  # one byte every 50 ms: 12 s for the head
            try:
                s.sendall(head[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.05)
            if i % 10 == 0:
                s.setblocking(False)
                try:
                    if s.recv(1024) == b"":
                        closed = True
                        break
                except BlockingIOError:
                    pass
                except ConnectionResetError:
                    closed = True
                    break
                finally:
                    s.setblocking(True)
                    s.settimeout(30)
        assert closed, "the server waited for the whole slow head"
        assert i < len(head) - 1


def test_a_slow_body_gets_408_and_the_connection_closes(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(30)
        s.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 50\r\n\r\n{")
        received = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b'"status_code":408' in received


def _chunked(path: str, body: bytes, server: Server, piece: int) -> tuple[int, bytes]:
    """POST ``body`` without a length, in chunks of ``piece`` bytes sent one at a time."""
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        s.settimeout(30)
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode())
        for i in range(0, len(body), piece):
            part = body[i:i + piece]
            s.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            time.sleep(0.01)  # separate messages for the app
        with contextlib.suppress(OSError):  # refused early: the server may close first
            s.sendall(b"0\r\n\r\n")
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    return int(received.split(b" ", 2)[1]), received.partition(b"\r\n\r\n")[2]


def test_a_body_sent_in_chunks_is_read_whole_and_one_beyond_the_limit_gets_413(
        server: Server) -> None:
    body = json.dumps(generated_rows()[0]).encode()
    status, answer = _chunked("/v1/score", body, server, piece=300)
    assert status == 200, answer[:300]
    assert json.loads(answer)["pd"] > 0
    status, _ = _chunked("/v1/score", b" " * (65 * 1024), server, piece=16 * 1024)
    assert status == 413


def test_head_answers_every_get_resource(server: Server) -> None:
    for path in ("/health", "/ready", "/v1/scorecard", "/metrics", "/v1/ping"):
        response = httpx.head(server.url + path)
        assert response.status_code == 200, path
        assert response.content == b""
        assert int(response.headers["content-length"]) > 0


def test_the_errors_the_app_makes_are_json(server: Server) -> None:
    cases = [("GET", "/nope", b"", 404), ("DELETE", "/v1/score", b"", 405),
             ("PURGE", "/health", b"", 405), ("POST", "/v1/score", b"x" * (65 * 1024), 413),
             ("POST", "/v1/score", b"{", 400)]
    for method, path, body, status in cases:
        response = httpx.request(method, server.url + path, content=body)
        assert response.status_code == status, (method, path)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status_code"] == status
        assert response.headers["x-request-id"]


if __name__ == "__main__":  # the figures for the README
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        proc, srv = start_server(Path(tmp) / "server.log")
        try:
            print(json.dumps(hostile_batch(srv), indent=1))
            with httpx.Client(base_url=srv.url, timeout=10) as c:
                for k in range(5000):
                    c.request(f"INVENTED{k}", "/v1/score")
                size = len(c.get("/metrics").content)
            print(f"/metrics after 5000 invented methods: {size} bytes")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
