#!/usr/bin/env python
"""Bounded load test of the scoring API on loopback, ending with a graceful-shutdown check.

Starts the real server, ``uvicorn --factory api.app:create_app`` (one worker, uvloop and
httptools, as the container runs it), on 127.0.0.1 with the given card, then:

1. **warm-up** (2 s closed loop) and **calibration**: 16 closed-loop clients for 4 s give the
   capacity ``C`` (requests/s) of this server *and this client* on this machine;
2. **steady load**, open loop: ``POST /v1/score`` at a fixed rate (default 0.5 C, or
   ``--rate``) for ``--duration`` seconds (default 180), with a **burst** of
   ``--burst-factor`` x the rate (default 3x) for ``--burst-seconds`` (default 10) in the
   middle. Open loop: requests start on schedule whether or not earlier ones have
   finished, and latency is measured from the scheduled start (no coordinated omission);
3. **graceful shutdown**: while single scores keep arriving and four clients post 2,000-row
   batches back to back, SIGTERM goes to the server (once a batch is surely in flight).
   Every request the app had *accepted* must complete with 200: accepted means its
   ``X-Request-ID`` is in the app's access log, which logs every request it starts, even
   one that fails. uvicorn must finish its shutdown ("Finished server process"; it then
   re-raises SIGTERM, so the exit status is -15, not 0). Requests started after SIGTERM are
   refused (the listener closes at once). Requests already written to a keep-alive
   connection but not yet read by the server when SIGTERM arrives are closed unanswered by
   uvicorn; they were never accepted and are reported apart (``sent_before_sigterm_never_
   read``): behind a load balancer the target is deregistered (draining) before SIGTERM,
   and a client may safely retry them (scoring has no side effects).

Reported: requests served, errors by status / exception, p50/p99/max latency per phase and
overall, achieved rates, server RSS (``/proc/<pid>/status`` VmRSS) after start-up, after
warm-up and at the end, and the shutdown outcome. ``--json`` writes the figures to a file.

Load shedding: the app bounds each worker's in-flight scoring work
(``SCORECARD_LATENCY_BUDGET_MS`` over the measured time per unit, capped at
``SCORECARD_MAX_IN_FLIGHT``, :mod:`api.overload`) and answers 503 beyond it, refusing at the
headers (:mod:`api.protocols`). ``--overload`` runs the overload test instead of the phases
above (``overload_run``): for one and for two uvicorn workers (``--overload-workers``), the
capacity ``C`` is calibrated as above (a client refused with 503 pauses 5 ms before its next
request, as one trying elsewhere would), then open-loop requests at 1x, 3x and 10x ``C``
(``--phase-seconds`` each); with two workers a last phase at 1x kills one worker with
SIGKILL mid-run (the supervisor replaces it). Per phase: accepted (2xx) p50/p99 (from the
scheduled start), share refused with 503, other 5xx, connection errors
(refused, reset or timed out: counted, never hidden), offered vs achieved rate and the RSS
of the server's processes. Every 2xx is a scored applicant (its body is checked for a
``score``). Latency is reported three ways: from the scheduled start (includes this
client's own backlog when it cannot keep the schedule: see ``max_start_lag_ms`` and
``achieved_rps``), on the wire (from the moment the request was written: what the server
and the kernel's socket queues add) and the app's own time (``server_p99_ms``, its access
log: request in -> last byte out); also the worker's in-flight limit and measured time per
unit at the phase's end (``/metrics``), the CPU share of this client and of the server (a
client near one core cannot keep the schedule) and the machine's load average (it may be
shared: the figures are then not the server's alone). The default request of the overload
phases is a batch of 100 applicants (1 unit, ~10x the server's cost of a single score for
about the same client cost), so that a Python client on the same machine can offer a
multiple of the capacity;
``--overload-rows 1`` uses single scores. uvicorn's ``--limit-concurrency`` is still
accepted, but counts idle keep-alive connections too, so N must exceed the connections a
proxy keeps open.

    .venv/bin/python scripts/load_test.py [--artifact reports/scorecard.json]
        [--duration 180] [--rate R] [--burst-factor 3] [--burst-seconds 10]
        [--limit-concurrency 0] [--json out.json]
    .venv/bin/python scripts/load_test.py --overload [--phase-seconds 8] [--overload-workers 1]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BATCH_ROWS = 2_000
BATCH_CLIENTS = 4
SHED_BACKOFF_S = 0.005  # a closed-loop client's pause after a 503


@dataclass
class Sample:
    rid: str  # sent as X-Request-ID; the app's access log names the requests it handled
    phase: str
    scheduled: float  # monotonic time the request was due to start
    sent: float  # when the client started it
    done: float = math.nan
    written: float = math.nan  # when it went on the wire (after any wait for a connection)
    outcome: str = ""  # "200", "503", ... or an exception class name


@dataclass
class Report:
    config: dict[str, Any]
    capacity_rps: float
    rate_rps: float
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    overall: dict[str, Any] = field(default_factory=dict)
    rss_mb: dict[str, float] = field(default_factory=dict)
    shutdown: dict[str, Any] = field(default_factory=dict)
    verdict: dict[str, bool] = field(default_factory=dict)


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(artifact: Path, port: int, limit: int, folder: Path,
                 workers: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCORECARD_ARTIFACT": str(artifact.resolve())}
    env.pop("SCORECARD_API_KEY", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", HOST,
           "--port", str(port), "--no-server-header", "--timeout-keep-alive", "65",
           "--log-level", "info", "--no-access-log", "--http",
           "api.protocols:TimedHttpToolsProtocol"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    if limit > 0:
        cmd += ["--limit-concurrency", str(limit)]
    # The app's JSON access log (stdout) and uvicorn's messages (stderr) go to files, not to
    # pipes nobody reads: a full pipe would block the server.
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=(folder / "access.log").open("wb"),
                            stderr=(folder / "server.log").open("wb"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handled(folder: Path) -> dict[str, int]:
    """Request id -> status of every request the app handled (its access log)."""
    out = {}
    for line in (folder / "access.log").read_text(errors="replace").splitlines():
        if line.startswith("{") and '"request_id"' in line:
            entry = json.loads(line)
            out[entry["request_id"]] = entry["status"]
    return out


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/ready", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server not ready in time")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


# --------------------------------------------------------------------------- payloads


def applicant_bodies(n: int = 256) -> list[bytes]:
    """Valid applicants from the generator (never real data), as request bodies."""
    sys.path.insert(0, str(REPO))
    from scorecard.data.synthetic.generator import generate

    frame, _ = generate(n, 0, seed=7)
    frame = frame.drop(columns=["default"])
    rows = json.loads(frame.to_json(orient="records"))  # NaN -> null
    return [json.dumps(r).encode() for r in rows]


# --------------------------------------------------------------------------- client


class Pool:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    httpx costs ~1-2 ms of client CPU per request, so on a small machine it saturates long
    before the server does; this costs a few tens of microseconds. At most ``limit``
    requests are in flight (each on its own connection, HTTP/1.1 without pipelining), and
    at most ``keep`` idle connections are kept, like a proxy's pool.
    """

    def __init__(self, host: str, port: int, limit: int, keep: int = 64) -> None:
        self.host, self.port, self.keep = host, port, keep
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)

    async def post(self, path: str, body: bytes, request_id: str, timeout: float,
                   sample: Sample | None = None) -> int:
        """Status code of ``POST path``; raises ConnectionError/TimeoutError on failure.
        A 200 whose body holds no ``"score"`` is reported as status 0 (not scored)."""
        head = (f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: "
                f"application/json\r\ncontent-length: {len(body)}\r\nx-request-id: "
                f"{request_id}\r\n\r\n").encode()
        async with self.slots:
            reused = bool(self.idle)
            if reused:
                reader, writer = self.idle.pop()
            else:
                try:
                    reader, writer = await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port), timeout)
                except OSError as exc:
                    raise ConnectRefusedError(str(exc)) from None
            try:
                async with asyncio.timeout(timeout):
                    if sample is not None:  # on the wire now: past any wait for a connection
                        sample.written = time.monotonic()
                    writer.write(head + body)
                    status, close, content = await self._response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    TimeoutError) as exc:
                writer.close()
                if isinstance(exc, TimeoutError):
                    raise
                raise DisconnectedError(f"{type(exc).__name__} ({'reused' if reused else 'new'} "
                                   "connection)") from None
            if close or len(self.idle) >= self.keep:
                writer.close()
            else:
                self.idle.append((reader, writer))
            if status == 200 and path.startswith("/v1/score") and b'"score"' not in content:
                return 0
            return status

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:] if line)}
        content = b""
        if "content-length" in fields:
            content = await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                content += (await reader.readexactly(size + 2))[:size]
                if size == 0:
                    break
        return status, fields.get("connection", "").lower() == "close", content

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


class ConnectRefusedError(ConnectionError):
    """The server did not accept a new connection (e.g. its listener is closed)."""


class DisconnectedError(ConnectionError):
    """The connection broke before a complete response."""


class Load:
    def __init__(self, port: int, bodies: list[bytes], max_connections: int,
                 timeout: float, path: str = "/v1/score") -> None:
        self.pool = Pool(HOST, port, max_connections)
        self.path = path
        self.timeout = timeout
        self.bodies = bodies
        self.samples: list[Sample] = []
        self._i = 0
        self._tasks: set[asyncio.Task[Sample]] = set()

    def _body(self) -> bytes:
        self._i += 1
        return self.bodies[self._i % len(self.bodies)]

    async def one(self, phase: str, scheduled: float, path: str | None = None,
                  body: bytes | None = None) -> Sample:
        s = Sample(f"lt-{len(self.samples)}", phase, scheduled, time.monotonic())
        self.samples.append(s)
        try:
            s.outcome = str(await self.pool.post(path or self.path, body or self._body(),
                                                 s.rid, self.timeout, s))
        except (ConnectionError, TimeoutError) as exc:
            s.outcome = type(exc).__name__
        s.done = time.monotonic()
        return s

    async def closed_loop(self, phase: str, clients: int, seconds: float,
                          backoff_s: float = SHED_BACKOFF_S) -> float:
        """``clients`` back-to-back loops for ``seconds``; returns requests/s answered 200
        (a shed request is not capacity). A client refused with 503 pauses ``backoff_s``
        before its next request, as one that tries elsewhere would: 16 clients
        re-sending at once would otherwise measure how fast the server refuses them."""
        end = time.monotonic() + seconds
        done = 0

        async def loop() -> None:
            nonlocal done
            while time.monotonic() < end:
                s = await self.one(phase, time.monotonic())
                done += s.outcome == "200"
                if s.outcome == "503":
                    await asyncio.sleep(backoff_s)

        start = time.monotonic()
        await asyncio.gather(*(loop() for _ in range(clients)))
        return done / (time.monotonic() - start)

    async def open_loop(self, phase: str, rate: float, seconds: float) -> None:
        """Start one request every 1/rate s on schedule, whatever the responses do."""
        start = time.monotonic()
        n = int(rate * seconds)
        for i in range(n):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self.one(phase, due))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.drain()
        self.pool.close()


# --------------------------------------------------------------------------- statistics


def quantile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    lat = [1000 * (s.done - s.scheduled) for s in samples if s.outcome == "200"]
    outcomes = Counter(s.outcome for s in samples)
    span = (max(s.done for s in samples) - min(s.scheduled for s in samples)) if samples else 0
    return {
        "requests": len(samples),
        "ok": outcomes.get("200", 0),
        "outcomes": dict(sorted(outcomes.items())),
        "errors_5xx": sum(v for k, v in outcomes.items() if k.isdigit() and int(k) >= 500),
        "served_rps": round(outcomes.get("200", 0) / span, 1) if span else 0.0,
        "p50_ms": round(quantile(lat, 0.50), 2),
        "p99_ms": round(quantile(lat, 0.99), 2),
        "max_ms": round(max(lat), 2) if lat else math.nan,
        "max_start_lag_ms": round(max((1000 * (s.sent - s.scheduled) for s in samples),
                                      default=0.0), 2),
    }


# --------------------------------------------------------------------------- run


async def run(args: argparse.Namespace) -> Report:
    port = free_port()
    url = f"http://{HOST}:{port}"
    folder = Path(tempfile.mkdtemp(prefix="load-test-"))
    proc = start_server(args.artifact, port, args.limit_concurrency, folder)
    bodies = applicant_bodies()
    rows = (bodies * (BATCH_ROWS // len(bodies) + 1))[:BATCH_ROWS]
    batch = b"[" + b",".join(rows) + b"]"
    load: Load | None = None
    cpu: dict[str, float] = {}
    try:
        wait_ready(url, proc)
        rss = {"after_start": rss_mb(proc.pid)}
        load = Load(port, bodies, args.connections, args.timeout)
        await load.closed_loop("warmup", 8, 2.0)
        rss["after_warmup"] = rss_mb(proc.pid)
        t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
        capacity = await load.closed_loop("calibration", 16, args.calibration_seconds)
        cpu["calibration"] = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
        rate = args.rate or round(args.load_factor * capacity, 1)
        report = Report(config={k: (str(v) if isinstance(v, Path) else v)
                                for k, v in vars(args).items()},
                        capacity_rps=round(capacity, 1), rate_rps=rate)
        log_line(f"capacity ~{capacity:.0f} req/s (closed loop, 16 clients, server at "
                 f"{100 * cpu['calibration']:.0f} % of a core); open loop at {rate:.0f} "
                 f"req/s for {args.duration:.0f} s, burst {args.burst_factor:g}x for "
                 f"{args.burst_seconds:.0f} s")
        first = max(0.0, (args.duration - args.burst_seconds) / 2)
        t0, c0 = time.monotonic(), cpu_seconds(proc.pid)
        await load.open_loop("steady", rate, first)
        await load.open_loop("burst", rate * args.burst_factor, args.burst_seconds)
        await load.open_loop("steady", rate, args.duration - first - args.burst_seconds)
        await load.drain()
        cpu["load"] = (cpu_seconds(proc.pid) - c0) / (time.monotonic() - t0)
        rss["end"] = rss_mb(proc.pid)
        report.shutdown = await graceful_shutdown(load, proc, rate, batch)
    finally:
        if load is not None:
            await load.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seen = handled(folder)
    report.shutdown.update(shutdown_verdict(load.samples, seen, report.shutdown.pop("t_term"),
                                            folder))
    report.rss_mb = {k: round(v, 1) for k, v in rss.items()}
    report.config["server_cpu_share"] = {k: round(v, 2) for k, v in cpu.items()}
    for phase in ("calibration", "steady", "burst", "shutdown", "shutdown-batch"):
        report.phases[phase] = summarise([s for s in load.samples if s.phase == phase])
    report.overall = summarise([s for s in load.samples if s.phase in ("steady", "burst")])
    # Informative, not a verdict (it depends on the machine): at the end of the steady phase,
    # were requests answered promptly, or had a backlog built (latency growing without bound)?
    steady = sorted((s for s in load.samples if s.phase == "steady"), key=lambda s: s.scheduled)
    tail = [1000 * (s.done - s.scheduled) for s in steady[-max(1, len(steady) // 10):]]
    report.phases["steady"]["last_10pct_p99_ms"] = round(quantile(tail, 0.99), 2)
    report.phases["steady"]["kept_up"] = quantile(tail, 0.99) < 1000
    allowed = {"200", "503"}  # the app sheds beyond SCORECARD_MAX_IN_FLIGHT
    sh = report.shutdown
    report.verdict = {
        "no_errors_except_documented_503": all(
            set(report.phases[p]["outcomes"]) <= allowed for p in ("steady", "burst")),
        "memory_growth_small": rss["end"] - rss["after_warmup"] < args.max_growth_mb,
        "graceful_shutdown": sh["accepted_failed"] == 0 and sh["in_flight_batches_ok"] > 0
        and sh["clean_exit"],
    }
    return report


async def graceful_shutdown(load: Load, proc: subprocess.Popen[bytes], rate: float,
                            batch: bytes) -> dict[str, Any]:
    """SIGTERM while single scores arrive at ``rate`` and 2,000-row batches are posted back
    to back by four clients; then wait for the server to exit."""
    stop = asyncio.Event()

    async def batches() -> None:
        while not stop.is_set():
            s = await load.one("shutdown-batch", time.monotonic(), "/v1/score/batch", batch)
            if s.outcome == "503":  # shed: a 2,000-row batch takes the whole worker
                await asyncio.sleep(0.05)
            elif s.outcome != "200":
                return  # refused once the listener is closed: this client stops

    workers = [asyncio.create_task(batches()) for _ in range(BATCH_CLIENTS)]
    singles = asyncio.create_task(load.open_loop("shutdown", rate, 3.0))
    await asyncio.sleep(1.0)
    # Wait until a batch has been on the wire for 50 ms without an answer: in flight for sure.
    while not any(s.phase == "shutdown-batch" and math.isnan(s.done)
                  and time.monotonic() - s.sent > 0.05 for s in load.samples[-3000:]):
        await asyncio.sleep(0.002)
    t_term = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    await singles
    stop.set()
    await asyncio.gather(*workers)
    await load.drain()
    try:
        code = await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        code = None
    return {"t_term": t_term, "exit_code": code,
            "drain_seconds": round(time.monotonic() - t_term, 2)}


def shutdown_verdict(samples: list[Sample], seen: dict[str, int], t_term: float,
                     folder: Path) -> dict[str, Any]:
    """Classify the requests around SIGTERM with the app's own access log: *accepted* means
    the app started handling it (its request id is logged, even on failure)."""
    phase = [s for s in samples if s.phase in ("shutdown", "shutdown-batch")]
    in_flight = [s for s in phase if s.sent < t_term < s.done]
    # A request shed with 503 was refused (nothing scored), not accepted.
    accepted = [s for s in phase if s.rid in seen and seen[s.rid] != 503]
    # A 503 refused at the headers (api.protocols) is answered but not in the access log.
    unread = [s for s in in_flight if s.rid not in seen and s.outcome != "503"]
    server_log = (folder / "server.log").read_text(errors="replace")
    return {
        "in_flight_at_sigterm": len(in_flight),
        "in_flight_accepted": sum(s.rid in seen for s in in_flight),
        "shed_503": sum(s.outcome == "503" for s in phase),
        "accepted_ok": sum(s.outcome == "200" for s in accepted),
        "accepted_failed": sum(s.outcome != "200" for s in accepted),
        "accepted_failures": dict(Counter(s.outcome for s in accepted if s.outcome != "200")),
        "in_flight_batches_ok": sum(s.outcome == "200" and s.phase == "shutdown-batch"
                                    for s in in_flight),
        # Sent before SIGTERM but still unread in the socket when uvicorn closed the idle
        # connection: never accepted, the client sees a disconnect (safe to retry).
        "sent_before_sigterm_never_read": len(unread),
        "never_read_outcomes": dict(Counter(s.outcome for s in unread)),
        "started_after_sigterm": sum(s.sent >= t_term for s in phase),
        "after_sigterm_outcomes": dict(Counter(s.outcome for s in phase if s.sent >= t_term)),
        # uvicorn re-raises the caught SIGTERM after a graceful shutdown: exit status -15.
        "clean_exit": "Finished server process" in server_log,
    }


# --------------------------------------------------------------------------- overload

CONNECTION_ERRORS = ("ConnectRefusedError", "DisconnectedError", "TimeoutError")


def worker_pids(pid: int) -> list[int]:
    """The uvicorn worker processes of supervisor ``pid`` (its spawned children; not the
    multiprocessing resource tracker, nor a killed worker not yet reaped)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    workers = []
    for child in children:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"spawn_main" in cmdline and state != "Z":
            workers.append(int(child))
    return workers


def server_cpu(pid: int, workers: int) -> float:
    """CPU seconds of the server's worker(s) so far (a worker that died is not counted)."""
    total = 0.0
    for p in [pid] + (worker_pids(pid) if workers > 1 else []):
        with contextlib.suppress(OSError):
            total += cpu_seconds(p)
    return total


def tree_rss_mb(pid: int, workers: int) -> float:
    """RSS of the server: the worker itself (1 worker) or supervisor + workers."""
    pids = [pid] + (worker_pids(pid) if workers > 1 else [])
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError):  # a worker that just died
            total += rss_mb(p)
    return total


def server_durations(folder: Path) -> dict[str, float]:
    """Request id -> the app's own duration (ms, request in -> last byte out) of 2xx."""
    out = {}
    for line in (folder / "access.log").read_text(errors="replace").splitlines():
        if line.startswith("{") and '"duration_ms"' in line:
            entry = json.loads(line)
            if 200 <= entry["status"] < 300:
                out[entry["request_id"]] = entry["duration_ms"]
    return out


async def scrape_limit(url: str) -> dict[str, float]:
    """The in-flight limit and measured time per unit one worker reports (``/metrics``)."""
    try:
        text = (await asyncio.to_thread(httpx.get, f"{url}/metrics", timeout=10.0)).text
    except httpx.HTTPError:
        return {}
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == "scorecard_in_flight_limit_units":
            out["limit_units"] = float(value)
        elif name == "scorecard_unit_service_seconds":
            out["unit_ms"] = round(1000 * float(value), 2)
    return out


def summarise_overload(samples: list[Sample], offered_rps: float,
                       rss: list[float]) -> dict[str, Any]:
    ok = [s for s in samples if s.outcome.startswith("2")]
    lat = [1000 * (s.done - s.scheduled) for s in ok]
    lat_wire = [1000 * (s.done - s.written) for s in ok]
    outcomes = Counter(s.outcome for s in samples)
    n = len(samples) or 1
    span = (max(s.done for s in samples) - min(s.scheduled for s in samples)) if samples else 0
    return {
        "requests": len(samples),
        "offered_rps": round(offered_rps, 1),
        "achieved_rps": round(len(samples) / span, 1) if span else 0.0,
        "accepted": len(ok),
        "accepted_rps": round(len(ok) / span, 1) if span else 0.0,
        "accepted_p50_ms": round(quantile(lat, 0.50), 2),
        "accepted_p99_ms": round(quantile(lat, 0.99), 2),
        # From when it went on the wire: without the client's own backlog (its lag behind
        # schedule and its wait for one of its --connections).
        "accepted_p99_on_wire_ms": round(quantile(lat_wire, 0.99), 2),
        "refused_503_share": round(outcomes.get("503", 0) / n, 4),
        "other_5xx": sum(v for k, v in outcomes.items()
                         if k.isdigit() and int(k) >= 500 and k != "503"),
        "not_scored_2xx": outcomes.get("0", 0),
        "connection_errors": sum(outcomes.get(k, 0) for k in CONNECTION_ERRORS),
        "outcomes": dict(sorted(outcomes.items())),
        "max_start_lag_ms": round(max((1000 * (s.sent - s.scheduled) for s in samples),
                                      default=0.0), 2),
        "rss_mb_max": round(max(rss), 1) if rss else math.nan,
    }


async def overload_server(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    """Calibrate, then 1x/3x/10x the capacity (and, with 2 workers, a worker killed)."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    folder = Path(tempfile.mkdtemp(prefix=f"overload-{workers}w-"))
    proc = start_server(args.artifact, port, args.limit_concurrency, folder, workers)
    load: Load | None = None
    out: dict[str, Any] = {"workers": workers, "phases": {}}
    rss_samples: list[float] = []
    stop = asyncio.Event()

    async def sample_rss() -> None:
        while not stop.is_set():
            rss_samples.append(tree_rss_mb(proc.pid, workers))
            await asyncio.sleep(0.25)

    sampler: asyncio.Task[None] | None = None
    if args.pin and workers == 1 and len(os.sched_getaffinity(0)) > 1:
        # The worker on one CPU, this client on the others: the client's own CPU does not
        # eat into the capacity under test.
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(proc.pid, {cpus[0]})
        os.sched_setaffinity(0, set(cpus[1:]))
    try:
        wait_ready(url, proc)
        if workers > 1:  # /ready answers once one worker is up: wait for all of them
            await asyncio.sleep(3.0)
        sampler = asyncio.create_task(sample_rss())
        out["rss_mb_after_start"] = round(tree_rss_mb(proc.pid, workers), 1)
        singles = applicant_bodies()
        rows = args.overload_rows
        if rows > 1:  # batches of `rows` applicants (1 unit each while rows <= 100)
            bodies = [b"[" + b",".join((singles * (rows // len(singles) + 2))[i:i + rows])
                      + b"]" for i in range(8)]
            load = Load(port, bodies, args.connections, args.timeout, "/v1/score/batch")
        else:
            load = Load(port, singles, args.connections, args.timeout)
        out["request"] = f"/v1/score/batch of {rows}" if rows > 1 else "/v1/score"
        await load.closed_loop("warmup", 8, 2.0)
        capacity = await load.closed_loop("calibration", 16, args.calibration_seconds)
        out["capacity_rps"] = round(capacity, 1)
        log_line(f"{workers} worker(s): capacity ~{capacity:.0f} req/s")
        for factor in (1, 3, 10):
            name = f"{factor}x"
            first = len(rss_samples)
            t0, c0, s0 = time.monotonic(), time.process_time(), server_cpu(proc.pid, workers)
            await load.open_loop(name, factor * capacity, args.phase_seconds)
            gauges = await scrape_limit(url)  # at the phase's end, still under its load
            await load.drain()
            wall = time.monotonic() - t0
            # Shares of one core: a client near 1.0 cannot keep the schedule.
            gauges["client_cpu"] = round((time.process_time() - c0) / wall, 2)
            gauges["server_cpu"] = round((server_cpu(proc.pid, workers) - s0) / wall, 2)
            out["phases"][name] = summarise_overload(
                [s for s in load.samples if s.phase == name], factor * capacity,
                rss_samples[first:])
            out["phases"][name].update(gauges)
            log_line(f"  {name}: {out['phases'][name]}")
            await asyncio.sleep(1.0)  # let the backlog of the phase clear
        if workers > 1:
            out["phases"]["kill"], out["kill"] = await kill_phase(load, proc, capacity,
                                                                  args.phase_seconds,
                                                                  rss_samples)
            log_line(f"  kill: {out['phases']['kill']} {out['kill']}")
        out["rss_mb_end"] = round(tree_rss_mb(proc.pid, workers), 1)
    finally:
        stop.set()
        if sampler is not None:
            await sampler
        if load is not None:
            await load.close()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if args.pin:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    out["rss_mb_max"] = round(max(rss_samples), 1) if rss_samples else math.nan
    # The app's own time for the accepted requests (request in -> last byte out): what the
    # client's figures add to it is queueing before the app reads the request, and the
    # client's own lag on a machine it shares with the server.
    durations = server_durations(folder)
    for name, phase in out["phases"].items():
        own = [durations[s.rid] for s in load.samples if s.phase == name and s.rid in durations]
        phase["server_p99_ms"] = round(quantile(own, 0.99), 2)
    return out


async def kill_phase(load: Load, proc: subprocess.Popen[bytes], rate: float, seconds: float,
                     rss_samples: list[float]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open loop at ``rate``; a third of the way in, SIGKILL one worker."""
    first = len(rss_samples)
    before = worker_pids(proc.pid)
    phase = asyncio.create_task(load.open_loop("kill", rate, seconds))
    await asyncio.sleep(seconds / 3)
    victim = before[0]
    t_kill = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    await phase
    await load.drain()
    replaced_after = math.nan
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = worker_pids(proc.pid)
        if len(now) == len(before) and victim not in now:
            replaced_after = time.monotonic() - t_kill
            break
        await asyncio.sleep(0.1)
    samples = [s for s in load.samples if s.phase == "kill"]
    summary = summarise_overload(samples, rate, rss_samples[first:])
    errors = [s for s in samples if s.outcome in CONNECTION_ERRORS]
    return summary, {
        "killed_pid": victim,
        "workers_before": before,
        "workers_after": worker_pids(proc.pid),
        "replaced_within_s": round(replaced_after, 2),
        # Connection errors around the kill: the requests the killed worker was serving or
        # had read from its sockets (they were never answered; scoring is side-effect free,
        # a client may retry them).
        "connection_errors_within_1s_of_kill": sum(abs(s.sent - t_kill) < 1.0 or
                                                   (s.sent < t_kill < s.done)
                                                   for s in errors),
        "supervisor_alive": proc.poll() is None,
    }


async def overload_run(args: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {"config": {k: (str(v) if isinstance(v, Path) else v)
                                         for k, v in vars(args).items()}}
    # The machine may be shared: its load says how far the figures are the server's own.
    load_before = os.getloadavg()
    for workers in args.overload_workers:
        report[f"workers_{workers}"] = await overload_server(args, workers)
    runs = [report[f"workers_{w}"] for w in args.overload_workers]
    phases = [p for r in runs for p in r["phases"].values()]
    one = report.get("workers_1")
    two = report.get("workers_2")
    verdict: dict[str, bool] = {
        "no_5xx_but_deliberate_503": all(p["other_5xx"] == 0 for p in phases),
        "every_2xx_scored": all(p["not_scored_2xx"] == 0 for p in phases),
        "no_connection_errors_outside_the_kill": all(
            p["connection_errors"] == 0 for r in runs
            for name, p in r["phases"].items() if name != "kill"),
    }
    if one is not None:
        # From the scheduled start: this client's own lag counts too (max_start_lag_ms).
        verdict["accepted_p99_under_50ms_at_10x_one_worker"] = (
            one["phases"]["10x"]["accepted_p99_ms"] < 50)
    if two is not None:
        verdict["worker_replaced"] = (two["kill"]["replaced_within_s"] < 30
                                      and two["kill"]["supervisor_alive"])
    report["load_average"] = {"before": [round(x, 2) for x in load_before],
                              "after": [round(x, 2) for x in os.getloadavg()]}
    report["verdict"] = verdict
    return report


def print_overload(report: dict[str, Any]) -> None:
    cols = ("offered_rps", "achieved_rps", "accepted_rps", "accepted_p50_ms",
            "accepted_p99_ms", "accepted_p99_on_wire_ms", "refused_503_share", "other_5xx",
            "connection_errors", "server_p99_ms", "max_start_lag_ms", "rss_mb_max",
            "limit_units", "unit_ms", "client_cpu", "server_cpu")
    runs = [w for w in (1, 2) if f"workers_{w}" in report]
    print(f"requests: {report[f'workers_{runs[0]}']['request']}")
    print(f"{'phase':<10}" + "".join(f"{c:>19}" for c in cols))
    for workers in runs:
        r = report[f"workers_{workers}"]
        for name, p in r["phases"].items():
            print(f"{workers}w {name:<7}" + "".join(f"{p.get(c, '')!s:>19}" for c in cols))
        print(f"{workers}w capacity {r['capacity_rps']} req/s; RSS after start "
              f"{r['rss_mb_after_start']} MB, max {r['rss_mb_max']} MB, end {r['rss_mb_end']} MB")
    if "workers_2" in report:
        print(f"kill: {report['workers_2']['kill']}")
    print(f"load average (1, 5, 15 min) before and after: {report['load_average']}")
    print(f"verdict: {report['verdict']}")


def log_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def print_report(r: Report) -> None:
    print(f"capacity (closed loop, 16 clients): {r.capacity_rps:.0f} req/s; "
          f"open-loop rate {r.rate_rps:.0f} req/s")
    for name in ("steady", "burst"):
        p = r.phases[name]
        print(f"{name:>7}: {p['requests']} requests, {p['ok']} ok, outcomes {p['outcomes']}, "
              f"{p['served_rps']} req/s served, p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, "
              f"max {p['max_ms']} ms, client start lag max {p['max_start_lag_ms']} ms")
    o = r.overall
    print(f"overall: {o['requests']} requests, {o['ok']} ok, 5xx {o['errors_5xx']}, "
          f"p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms")
    print(f"server RSS: {r.rss_mb}")
    print(f"server CPU (share of one core): {r.config['server_cpu_share']}")
    print(f"shutdown: {r.shutdown}")
    print(f"verdict: {r.verdict}")


def _workers(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(sorted({int(w) for w in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1, 2 or 1,2") from None
    if not counts or not set(counts) <= {1, 2}:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1, 2 or 1,2")
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--artifact", type=Path, default=REPO / "reports" / "scorecard.json")
    p.add_argument("--duration", type=float, default=180.0, help="open-loop seconds")
    p.add_argument("--rate", type=float, default=0.0,
                   help="open-loop requests/s (0: load-factor x calibrated capacity)")
    p.add_argument("--load-factor", type=float, default=0.5,
                   help="open-loop rate as a share of the calibrated capacity")
    p.add_argument("--calibration-seconds", type=float, default=4.0)
    p.add_argument("--burst-factor", type=float, default=3.0)
    p.add_argument("--burst-seconds", type=float, default=10.0)
    p.add_argument("--limit-concurrency", type=int, default=0,
                   help="uvicorn --limit-concurrency (0: off, no load shedding)")
    p.add_argument("--connections", type=int, default=512, help="client connection cap")
    p.add_argument("--timeout", type=float, default=60.0, help="client timeout, seconds")
    p.add_argument("--max-growth-mb", type=float, default=50.0,
                   help="RSS growth (warm-up to end) counted as small")
    p.add_argument("--json", type=Path, help="write the report here")
    p.add_argument("--overload", action="store_true",
                   help="run the overload test (1x/3x/10x capacity, 1 and 2 workers, a "
                   "worker killed) instead of the steady/burst/shutdown run")
    p.add_argument("--phase-seconds", type=float, default=8.0,
                   help="seconds of each overload phase")
    p.add_argument("--pin", action=argparse.BooleanOptionalAction, default=True,
                   help="overload test: one worker on the first CPU, the client on the others")
    p.add_argument("--overload-rows", type=int, default=100,
                   help="applicants per overload request: a batch of 100 (1 unit) costs the "
                   "server ~10x a single score, so this client can offer 10x its capacity; "
                   "1 = single scores")
    p.add_argument("--overload-workers", type=_workers, default=(1, 2),
                   help="overload test: the worker counts to run, e.g. 1 or 1,2")
    args = p.parse_args(argv)
    if args.burst_seconds > args.duration:
        p.error("--burst-seconds must not exceed --duration")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.overload:
        if args.timeout == p.get_default("timeout"):
            args.timeout = 10.0  # a request unanswered for 10 s under overload is an error
        overload = asyncio.run(overload_run(args))
        print_overload(overload)
        if args.json:
            args.json.write_text(json.dumps(overload, indent=1) + "\n")
        return 0 if all(overload["verdict"].values()) else 1
    report = asyncio.run(run(args))
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=1) + "\n")
    return 0 if all(report.verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
