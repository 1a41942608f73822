"""The probe port (``SCORECARD_PROBE_PORT``, :mod:`api.probes`): ``/health`` and ``/ready``
answered by a thread of each worker, on the real server and in-process, no mocks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.probes import ProbeServer
from api.responses import Ready
from api.settings import Settings, SettingsError
from tests.support.builders import generated_rows
from tests.support.servers import free_port, start_uvicorn

HTTPTOOLS = "api.protocols:TimedHttpToolsProtocol"


def _get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module", params=[1, 2], ids=["one-worker", "two-workers"])
def server(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """uvicorn with the probe port set: ``(api port, probe port)``. Two workers bind the
    same probe port."""
    api, probes = free_port(), free_port()
    environment = {**os.environ, "SCORECARD_PROBE_PORT": str(probes)}
    for name in ("PROMETHEUS_MULTIPROC_DIR", "SCORECARD_API_KEY", "SCORECARD_DECISION_LOG"):
        environment.pop(name, None)
    if request.param > 1:
        environment["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path_factory.mktemp("metrics"))
    log = tmp_path_factory.mktemp("probes") / "server.log"
    process = start_uvicorn(api, HTTPTOOLS, environment, log, workers=request.param)
    try:
        yield api, probes
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_probe_port_answers_health_and_ready_as_the_api_port_does(
        server: tuple[int, int]) -> None:
    api, probes = server
    for _ in range(6):  # new connections, spread over the workers by the kernel
        assert _get(probes, "/health") == (200, {"status": "ok"})
        assert _get(probes, "/ready") == _get(api, "/ready")
    status, body = _get(probes, "/ready")
    assert status == 200 and body["status"] == "ready" and body["model_id"]


def test_the_probe_port_serves_nothing_but_the_probes(server: tuple[int, int]) -> None:
    api, probes = server
    status, body = _get(probes, "/v1/scorecard")
    assert status == 404 and "not a probe" in str(body["detail"])
    assert httpx.post(f"http://127.0.0.1:{probes}/health", timeout=10).status_code == 405
    row = generated_rows()[0]
    assert httpx.post(f"http://127.0.0.1:{api}/v1/score", json=row,
                      timeout=10).status_code == 200


def test_a_probe_connection_that_never_completes_its_head_does_not_block_the_others() -> None:
    async def worker() -> tuple[int, dict[str, object]]:
        probes = ProbeServer(0, lambda: (200, Ready("ready")), host="127.0.0.1")
        probes.start()
        try:
            with socket.create_connection(("127.0.0.1", probes.port)) as stuck:
                stuck.sendall(b"GET /health HTTP/1.1\r\nhost: t\r\n")  # no blank line yet
                return _get(probes.port, "/health")
        finally:
            await probes.close()

    assert asyncio.run(worker()) == (200, {"status": "ok"})


def test_both_probes_fail_while_the_event_loop_is_stuck_and_recover_when_it_turns() -> None:
    answers: list[tuple[int, dict[str, object]]] = []

    async def worker() -> None:
        probes = ProbeServer(0, lambda: (200, Ready("ready")), host="127.0.0.1",
                             stall_s=0.3)
        probes.start()
        try:
            answers.append(_get(probes.port, "/health"))
            time.sleep(0.6)  # a call that blocks the loop: no heartbeat meanwhile
            answers.append(_get(probes.port, "/health"))
            answers.append(_get(probes.port, "/ready"))
            await asyncio.sleep(0.1)  # the loop turns again: the heartbeat runs
            answers.append(_get(probes.port, "/health"))
        finally:
            await probes.close()

    asyncio.run(worker())
    assert [status for status, _ in answers] == [200, 503, 503, 200]
    assert "stalled" in str(answers[1][1]["status"]) and "stalled" in str(answers[2][1])


def test_ready_on_the_probe_port_is_what_the_worker_last_published() -> None:
    state = [(200, Ready("ready", "m", "h"))]

    async def worker() -> list[tuple[int, dict[str, object]]]:
        probes = ProbeServer(0, lambda: state[0], host="127.0.0.1")
        probes.start()
        try:
            first = _get(probes.port, "/ready")
            state[0] = (503, Ready("not_ready", detail="the service is shutting down"))
            probes.publish()
            return [first, _get(probes.port, "/ready")]
        finally:
            await probes.close()

    assert asyncio.run(worker()) == [
        (200, {"status": "ready", "model_id": "m", "content_hash": "h"}),
        (503, {"status": "not_ready", "detail": "the service is shutting down"})]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _probe_processes(pid: int) -> set[int]:
    """``pid``'s children that run :mod:`api.probe_process`."""
    return {c for c in _children(pid)
            if b"probe_process.py" in Path(f"/proc/{c}/cmdline").read_bytes()}


def _wait(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_dead_probe_process_is_started_again_and_one_ends_with_its_worker(
        tmp_path: Path) -> None:
    api, port = free_port(), free_port()
    environment = {**os.environ, "SCORECARD_PROBE_PORT": str(port)}
    for name in ("PROMETHEUS_MULTIPROC_DIR", "SCORECARD_API_KEY", "SCORECARD_DECISION_LOG"):
        environment.pop(name, None)
    server = start_uvicorn(api, HTTPTOOLS, environment, tmp_path / "server.log")
    try:
        _wait(lambda: len(_probe_processes(server.pid)) == 1, "no probe process started")
        (first,) = _probe_processes(server.pid)
        os.kill(first, signal.SIGKILL)
        _wait(lambda: _probe_processes(server.pid) - {first} != set(), "not started again")
        _wait(lambda: _get_or_none(port) == 200, "the new probe process does not answer")
        (second,) = _probe_processes(server.pid)
        os.kill(server.pid, signal.SIGKILL)  # the worker dies without a shutdown
        server.wait(timeout=30)
        _wait(lambda: not Path(f"/proc/{second}").exists()
              or b"Z" in Path(f"/proc/{second}/stat").read_bytes().split(b")")[-1][:3],
              "the probe process outlived its worker")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)


def _get_or_none(port: int) -> int | None:
    try:
        return _get(port, "/health")[0]
    except OSError:
        return None


def test_a_probe_port_in_use_stops_the_worker_naming_the_variable() -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # every interface, as the probe port binds
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SettingsError, match=rf"SCORECARD_PROBE_PORT={port}: cannot listen"):
            create_app(Settings(probe_port=port))


@pytest.mark.parametrize("raw", ["70000", "-1", "http"])
def test_an_unusable_probe_port_is_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(SettingsError, match="SCORECARD_PROBE_PORT"):
        Settings.from_env({"SCORECARD_PROBE_PORT": raw})


def test_a_closed_probe_server_frees_its_port() -> None:
    async def cycle() -> int:
        probes = ProbeServer(0, lambda: (200, Ready("ready")), host="127.0.0.1")
        probes.start()
        await probes.close()
        return probes.port

    port = asyncio.run(cycle())
    with pytest.raises(OSError):
        _get(port, "/health")

