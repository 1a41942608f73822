"""Admission under a flood (``api.overload``, ``api.protocols``): the waiting room where the
connection admitted longest ago goes first, refusals paced by goodput, and the counters an
operator reads goodput from. The room's and the pace's rules are tested on
:class:`~api.overload.Admission` itself (clocks given as parameters); the behaviour on the
real server (uvicorn in a subprocess on 127.0.0.1, no mocks): a greedy connection cannot
starve another, probes answer during a flood, and offered, admitted, completed and refused
requests add up to what the clients saw. No timing asserts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.overload import PACE_BURST, PACE_SWEEP_MAX, RETRY_AFTER_S, Admission, Ticket
from api.settings import Settings, SettingsError
from tests.support.builders import generated_rows
from tests.support.servers import free_port, start_uvicorn

HTTPTOOLS = "api.protocols:TimedHttpToolsProtocol"


class Log:
    """Tickets that record what happened to them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.seq = 0
        self.gone: set[str] = set()

    def ticket(self, name: str, key: float, arrived: float = 0.0, units: int = 1) -> Ticket:
        self.seq += 1
        return Ticket(units, key, self.seq, arrived,
                      start=lambda: self.events.append(("admitted", name)),
                      refuse=lambda: self.events.append(("refused", name)),
                      alive=lambda: name not in self.gone)


def test_a_full_room_refuses_the_connection_admitted_most_recently() -> None:
    admission = Admission(1, clock=lambda: 0.0)  # a fixed limit of 1 unit: a room of 1
    log = Log()
    admission.offer(log.ticket("a", key=0.0))  # runs
    admission.offer(log.ticket("b", key=5.0))  # waits
    admission.offer(log.ticket("c", key=3.0))  # admitted longer ago than b: b makes room
    admission.offer(log.ticket("d", key=9.0))  # admitted most recently of all: refused
    assert log.events == [("admitted", "a"), ("refused", "b"), ("refused", "d")]
    admission.release(1)
    assert log.events[-1] == ("admitted", "c")
    assert admission.counts == Counter(offered=4, admitted=2, refused=2)


def test_a_ticket_that_waited_too_long_is_refused_and_one_whose_client_left_is_dropped() -> None:
    now = [0.0]
    admission = Admission(2, budget_ms=25.0, clock=lambda: now[0], cpu_clock=lambda: now[0])
    log = Log()
    for name in ("a", "b"):
        admission.offer(log.ticket(name, key=0.0))
    admission.offer(log.ticket("late", key=1.0, arrived=0.0))
    assert admission.room_units == 1
    now[0] = 0.030  # past the 25 ms latency budget
    admission.release(1)  # the waiting ticket's answer would come too late
    assert log.events[-1] == ("refused", "late") and admission.in_flight == 1
    admission.offer(log.ticket("c", key=0.0, arrived=now[0]))  # runs: 2 in flight again
    admission.offer(log.ticket("left", key=1.0, arrived=now[0]))  # waits, then leaves
    log.gone.add("left")
    admission.release(1)
    assert ("admitted", "left") not in log.events
    assert admission.room == [] and admission.in_flight == 1


def test_refusals_beyond_the_bank_wait_for_completions_or_the_retry_after_second() -> None:
    now = [0.0]

    async def flood() -> None:
        admission = Admission(1, clock=lambda: now[0], refusal_ratio=0.5)
        log = Log()
        admission.offer(log.ticket("running", key=0.0))
        for i in range(20):
            admission.offer(log.ticket(f"t{i}", key=1.0))
        refused = sum(kind == "refused" for kind, _ in log.events)
        # One waits in the room; of the 19 refused, the bank answers 8 at once.
        assert refused == PACE_BURST and len(admission.refusals) == 19 - PACE_BURST
        admission.count("completed", 4)  # 4 completions earn 2 refusals
        await asyncio.sleep(0.05)
        assert sum(kind == "refused" for kind, _ in log.events) == PACE_BURST + 2
        now[0] += RETRY_AFTER_S  # nobody waits longer than Retry-After
        await asyncio.sleep(0.15)  # the pace's and the room's timers run
        assert sum(kind == "refused" for kind, _ in log.events) == 19
        # Meanwhile the one in the room waited too long: refused in its turn, last.
        assert admission.room == [] and len(admission.refusals) == 1
        now[0] += RETRY_AFTER_S
        await asyncio.sleep(0.15)
        assert not admission.refusals
        order = [name for kind, name in log.events if kind == "refused"]
        assert order == [*(f"t{i}" for i in range(1, 20)), "t0"]

    asyncio.run(flood())


def test_a_wave_of_refusals_due_at_once_is_answered_a_few_per_tick_not_all_in_one() -> None:
    now = [0.0]

    async def wave() -> list[int]:
        admission = Admission(1, clock=lambda: now[0], refusal_ratio=0.5)
        log = Log()
        admission.offer(log.ticket("running", key=0.0))
        for i in range(200):
            admission.offer(log.ticket(f"t{i}", key=1.0))
        now[0] += RETRY_AFTER_S  # all of them due at the same moment
        # (The room's ticket is refused later, once its own second is up: not awaited.)
        seen = [sum(kind == "refused" for kind, _ in log.events)]
        while seen[-1] < 199:
            await asyncio.sleep(0.005)
            seen.append(sum(kind == "refused" for kind, _ in log.events))
        return [b - a for a, b in itertools.pairwise(seen)]

    answered_per_tick = asyncio.run(wave())
    assert sum(answered_per_tick) == 200 - 1 - PACE_BURST
    assert max(answered_per_tick) <= 2 * PACE_SWEEP_MAX  # a sleep may span two ticks
    assert len([n for n in answered_per_tick if n]) >= (200 - 1 - PACE_BURST) // (
        2 * PACE_SWEEP_MAX)


# --------------------------------------------------------------------------- real server


def _start(tmp: Path, **env: str) -> tuple[object, str, int]:
    port = free_port()
    environment = {**os.environ, **env}
    for name in ("PROMETHEUS_MULTIPROC_DIR", "SCORECARD_API_KEY"):
        environment.pop(name, None)
    return start_uvicorn(port, HTTPTOOLS, environment, tmp / "server.log"), \
        f"http://127.0.0.1:{port}", port


@pytest.fixture
def limit_one(tmp_path: Path) -> Iterator[tuple[str, int]]:
    process, url, port = _start(tmp_path, SCORECARD_MAX_IN_FLIGHT="1",
                                SCORECARD_LATENCY_BUDGET_MS="0")
    try:
        yield url, port
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    process, url, port = _start(tmp_path_factory.mktemp("flood"))
    try:
        yield url, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _request(body: bytes, path: str = "/v1/score") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode() + body


def _answer(sock: socket.socket, buffer: bytes) -> tuple[int, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        assert chunk, "closed before an answer"
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), rest[length:]


def test_a_greedy_connection_cannot_starve_another(limit_one: tuple[str, int]) -> None:
    _, port = limit_one
    rows = generated_rows()
    batch = _request(json.dumps(rows[:100]).encode(), "/v1/score/batch")
    stop = threading.Event()
    greedy: Counter[int] = Counter()

    def hog() -> None:  # back to back, one request after the other, on one connection
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            buffer = b""
            while not stop.is_set():
                sock.sendall(batch)
                status, buffer = _answer(sock, buffer)
                greedy[status] += 1

    thread = threading.Thread(target=hog)
    thread.start()
    polite: Counter[int] = Counter()
    try:
        while greedy.total() < 5:  # the hog has the worker
            time.sleep(0.01)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            buffer = b""
            single = _request(json.dumps(rows[0]).encode())
            for _ in range(30):
                sock.sendall(single)
                status, buffer = _answer(sock, buffer)
                polite[status] += 1
                time.sleep(0.005)
    finally:
        stop.set()
        thread.join(timeout=60)
    # The polite connection waits in the room while the hog's batch runs, then goes first;
    # without the room it was refused whenever the hog's next batch had got in before it.
    assert polite[200] >= 0.8 * polite.total(), polite
    assert set(polite) <= {200, 503} and set(greedy) <= {200, 503}
    assert greedy[200] > 5


async def _flood(port: int, connections: int, seconds: float) -> Counter[str]:
    body = _request(json.dumps(generated_rows()[0]).encode())
    seen: Counter[str] = Counter()
    end = time.monotonic() + seconds

    async def client() -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            seen[type(exc).__name__] += 1
            return
        try:
            while time.monotonic() < end:
                writer.write(body)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
                await reader.readexactly(length)
                seen[head.split(b" ", 2)[1].decode()] += 1
        except (OSError, asyncio.IncompleteReadError) as exc:
            seen[type(exc).__name__] += 1
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return seen


def _metrics(url: str) -> dict[str, float]:
    text = httpx.get(url + "/metrics", timeout=30).text
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^(scorecard_(?:scoring_requests_total|scoring_requests_per_second|'
                        r'refusals_waiting)(?:\{stage="\w+"\})?) (\S+)$', text, re.M)}


def test_probes_answer_during_a_flood_and_the_counters_add_up(
        default_server: tuple[str, int]) -> None:
    url, port = default_server
    before = _metrics(url)
    seen: Counter[str] = Counter()
    flood = threading.Thread(target=lambda: seen.update(asyncio.run(_flood(port, 200, 4.0))))
    flood.start()
    probes: list[int] = []
    during: list[dict[str, float]] = []
    time.sleep(1.0)
    while flood.is_alive():
        for path in ("/health", "/ready"):
            probes.append(httpx.get(url + path, timeout=30).status_code)
        during.append(_metrics(url))
        time.sleep(0.2)
    flood.join()
    assert probes and set(probes) == {200}
    assert set(seen) <= {"200", "503"}, seen  # no other status, no connection error
    assert seen["200"] > 0 and seen["503"] > 0
    # Under the flood, refusals waited their turn and the goodput was on show.
    assert max(m.get("scorecard_refusals_waiting", 0) for m in during) > 0
    assert max(m.get('scorecard_scoring_requests_per_second{stage="completed"}', 0)
               for m in during) > 0
    after = _metrics(url)

    def delta(stage: str) -> float:
        name = f'scorecard_scoring_requests_total{{stage="{stage}"}}'
        return after.get(name, 0) - before.get(name, 0)

    assert delta("offered") == seen.total()
    assert delta("admitted") == delta("completed") == seen["200"]
    assert delta("refused") == seen["503"]
    assert delta("offered") == delta("admitted") + delta("refused")


@pytest.mark.parametrize(("raw", "message"), [("-1", "must be >= 0"),
                                              ("half", "is not a number"),
                                              ("inf", "is not a finite number")])
def test_an_unusable_refusal_ratio_is_refused_naming_the_variable(raw: str,
                                                                  message: str) -> None:
    with pytest.raises(SettingsError, match=f"SCORECARD_REFUSAL_RATIO.*{message}"):
        Settings.from_env({"SCORECARD_REFUSAL_RATIO": raw})
    assert Settings.from_env({}).refusal_ratio == 0.1
    assert Settings.from_env({"SCORECARD_REFUSAL_RATIO": "0"}).refusal_ratio == 0
