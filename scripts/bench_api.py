#!/usr/bin/env python
"""Benchmark the scoring API on loopback, in one bounded run.

Starts ``uvicorn --factory api.app:create_app`` (1 worker) on 127.0.0.1 in a subprocess,
then measures, for ``POST /v1/score`` (one real applicant) and the constant baselines
``GET /v1/ping`` and ``POST /v1/ping`` (same body as the score request, read and discarded;
same app, middleware and auth):

* unloaded latency p50/p99 (1 connection),
* sustained throughput with ``--connections`` concurrent connections, rounds interleaved
  (forward, then reversed order) so drift hits all alike; medians reported,
* the ratio score/ping throughput (target >= 0.8), and the server's CPU time per request
  (from ``/proc``), whose ratio is the capacity ratio on a dedicated core: wall-clock
  figures on a shared machine move with whatever else runs there,
* the server time of one ``POST /v1/score/batch`` of 10,000 rows (the real unlabelled file
  when ``../shared`` is present, else the example applicant repeated), read from the
  server's own access log (``duration_ms``: request in -> last byte out), and the client's
  wall time.

The load generator is ``wrk`` when installed (``apt-get install -y wrk``), else an httpx
async client (slower: it may saturate before the server does, which flattens the ratio).
``--pin`` puts the server on CPU 0 and the load generator on the others (good on a quiet
machine; on a shared one it stops the scheduler moving the server off a busy core).

    .venv/bin/python scripts/bench_api.py [--artifact reports/scorecard.json] [--duration 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from api.openapi import example_applicant  # noqa: E402
from scorecard.data.contract import KLARNA  # noqa: E402

EXAMPLE_APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)

REAL_ROWS = REPO.parent / "shared" / "data" / "klarna" / "dataset_unlabelled_10k.csv"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(artifact: Path, port: int, log: Path, pin: bool) -> subprocess.Popen[bytes]:
    # No in-flight limit: the benchmark measures throughput at --connections concurrency,
    # which would otherwise be partly answered by cheap 503s (scripts/load_test.py --overload
    # measures the shedding).
    env = {**os.environ, "SCORECARD_ARTIFACT": str(artifact), "SCORECARD_MAX_IN_FLIGHT": "0"}
    env.pop("SCORECARD_API_KEY", None)
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", HOST,
           "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]

    def pin_to_cpu0() -> None:
        os.sched_setaffinity(0, {0})

    # The app writes its JSON access log to stdout: a file, as in production (not /dev/null).
    return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, preexec_fn=pin_to_cpu0 if pin else None)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


# ------------------------------------------------------------------------------- wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(url: str, body: bytes | None, connections: int, duration: float,
            pin: bool, tmp: Path) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if body is not None:
        script = tmp / "post.lua"
        script.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = '
                          '"application/json"\nwrk.body = [==[' + body.decode() + "]==]\n")
        cmd += ["-s", str(script)]
    if pin:
        cmd = ["taskset", "-c", f"1-{os.cpu_count() - 1}", *cmd]  # type: ignore[operator]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 30)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    out = done.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))$", out, re.M))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": _ms(pct["50"]), "p99_ms": _ms(pct["99"])}


# ------------------------------------------------------------------------------- httpx


async def _httpx_load(url: str, body: bytes | None, connections: int,
                      duration: float) -> dict[str, float]:
    latencies: list[float] = []
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await (client.post(url, content=body,
                                       headers={"content-type": "application/json"})
                           if body is not None else client.get(url))
                if r.status_code != 200:
                    raise SystemExit(f"{url}: status {r.status_code}")
                latencies.append((time.perf_counter() - t) * 1e3)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "requests": float(len(latencies)),
            "p50_ms": latencies[len(latencies) // 2],
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]}


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (Linux ``/proc``; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(tool: str, url: str, body: bytes | None, connections: int, duration: float,
             pin: bool, tmp: Path, pid: int) -> dict[str, float]:
    """One load run; adds the server's CPU time per request (``cpu_us``), which other
    processes on the machine do not inflate the way they inflate wall-clock figures."""
    cpu, wall = server_cpu_s(pid), time.perf_counter()
    if tool == "wrk":
        out = run_wrk(url, body, connections, duration, pin, tmp)
    else:
        out = asyncio.run(_httpx_load(url, body, connections, duration))
    used = server_cpu_s(pid) - cpu
    out["cpu_us"] = used / max(out["requests"], 1.0) * 1e6
    # Share of one core the server got: well below 100 % under load means the run measured
    # the machine's other tenants (or the client), not the server's capacity.
    out["busy"] = used / (time.perf_counter() - wall)
    return out


# ------------------------------------------------------------------------------- batch


def batch_rows(n: int) -> tuple[list[dict[str, Any]], str]:
    if REAL_ROWS.exists():
        from scorecard.data.files import read_dataset

        frame = read_dataset(REAL_ROWS, KLARNA).frame
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        rows = [{k: (bool(v) if k == "has_paid" else v) for k, v in r.items()} for r in rows]
        return rows[:n], f"{REAL_ROWS.name} ({min(n, len(rows))} real rows)"
    return [dict(EXAMPLE_APPLICANT) for _ in range(n)], "the synthetic example applicant repeated"


def server_durations(log: Path, path: str) -> list[float]:
    out = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and f'"path":"{path}"' in line:
            out.append(float(json.loads(line)["duration_ms"]))
    return out


# ------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=REPO / "reports" / "scorecard.json")
    parser.add_argument("--duration", type=int, default=6,
                        help="seconds per throughput run (default 6)")
    parser.add_argument("--latency-duration", type=int, default=5,
                        help="seconds per unloaded latency run (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--batch-rows", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--pin", action="store_true",
                        help="server on CPU 0, load generator on the other CPUs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    if not args.artifact.exists():
        raise SystemExit(f"no artifact at {args.artifact}")
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "httpx")
    pin = args.pin and (os.cpu_count() or 1) >= 2 and hasattr(os, "sched_setaffinity")
    pin_wrk = pin and tool == "wrk" and shutil.which("taskset") is not None
    body = json.dumps(EXAMPLE_APPLICANT, separators=(",", ":")).encode()
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmpdir:
        tmp = Path(tmpdir)
        log = tmp / "server.log"
        port = free_port()
        url = f"http://{HOST}:{port}"
        proc = start_server(args.artifact.resolve(), port, log, pin)
        try:
            wait_ready(url, proc)
            check = httpx.post(f"{url}/v1/score", content=body,
                               headers={"content-type": "application/json"})
            assert check.status_code == 200, check.text
            targets = {"ping": (f"{url}/v1/ping", None), "ping_post": (f"{url}/v1/ping", body),
                       "score": (f"{url}/v1/score", body)}
            for target, payload in targets.values():  # warm-up
                run_load(tool, target, payload, args.connections, 2, pin_wrk, tmp, proc.pid)

            latency = {name: run_load(tool, target, payload, 1, args.latency_duration,
                                      pin_wrk, tmp, proc.pid)
                       for name, (target, payload) in targets.items()}
            load: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            for r in range(args.rounds):
                order = list(targets) if r % 2 == 0 else list(targets)[::-1]
                for name in order:
                    target, payload = targets[name]
                    load[name].append(run_load(tool, target, payload, args.connections,
                                               args.duration, pin_wrk, tmp, proc.pid))

            rows, source = batch_rows(args.batch_rows)
            batch_body = json.dumps(rows, separators=(",", ":")).encode()
            wall, batch_cpu = [], []
            with httpx.Client(timeout=300) as client:
                for _ in range(args.batches):
                    cpu0, t = server_cpu_s(proc.pid), time.perf_counter()
                    r = client.post(f"{url}/v1/score/batch", content=batch_body,
                                    headers={"content-type": "application/json"})
                    wall.append((time.perf_counter() - t) * 1e3)
                    batch_cpu.append((server_cpu_s(proc.pid) - cpu0) * 1e3)
                    assert r.status_code == 200 and r.json()["count"] == len(rows), r.text[:500]
            time.sleep(0.3)  # let the access log line reach the file
            server = server_durations(log, "/v1/score/batch")[-args.batches:]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    rps = {name: statistics.median(x["rps"] for x in runs) for name, runs in load.items()}
    cpu = {name: statistics.median(x["cpu_us"] for x in runs) for name, runs in load.items()}
    busy = {name: [round(x["busy"], 2) for x in runs] for name, runs in load.items()}
    figures = {
        "tool": tool, "cpus": os.cpu_count(), "pinned": pin,
        "load_average_1m": os.getloadavg()[0],
        "connections": args.connections, "rounds": args.rounds, "duration_s": args.duration,
        "latency_unloaded_ms": latency,
        "throughput_rps_runs": {k: [round(x["rps"], 1) for x in v] for k, v in load.items()},
        "throughput_rps_median": rps,
        "loaded_latency_ms_median": {
            k: {"p50": statistics.median(x["p50_ms"] for x in v),
                "p99": statistics.median(x["p99_ms"] for x in v)} for k, v in load.items()},
        "ratio_score_to_ping": rps["score"] / rps["ping"],
        "ratio_score_to_ping_post": rps["score"] / rps["ping_post"],
        "server_cpu_us_per_request_median": cpu,
        "server_busy_share_of_a_core": busy,
        "ratio_by_server_cpu": cpu["ping"] / cpu["score"],
        "ratio_by_server_cpu_post": cpu["ping_post"] / cpu["score"],
        "batch": {"rows": len(rows), "source": source, "body_mb": len(batch_body) / 1e6,
                  "server_ms": server, "server_ms_median": statistics.median(server),
                  "server_cpu_ms": [round(c) for c in batch_cpu],
                  "client_wall_ms": [round(w, 1) for w in wall]},
        "total_s": round(time.monotonic() - started, 1),
    }
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


def print_report(f: dict[str, Any]) -> None:
    lat, rps = f["latency_unloaded_ms"], f["throughput_rps_median"]
    loaded = f["loaded_latency_ms_median"]
    b = f["batch"]
    print(f"load generator: {f['tool']}; {f['cpus']} CPUs, server pinned: {f['pinned']}; "
          f"1-min load average at the end: {f['load_average_1m']:.2f}")
    names = {"ping": "GET /v1/ping", "ping_post": "POST /v1/ping", "score": "POST /v1/score"}
    print("unloaded latency (1 connection):")
    for key, name in names.items():
        print(f"  {name:15s} p50 {lat[key]['p50_ms']:.3f} ms   p99 {lat[key]['p99_ms']:.3f} ms")
    print(f"throughput ({f['connections']} connections, {f['rounds']} x {f['duration_s']:g} s, "
          "median of rounds):")
    cpu = f["server_cpu_us_per_request_median"]
    for key, name in names.items():
        print(f"  {name:15s} {rps[key]:7.0f} req/s   p50 {loaded[key]['p50']:.2f} ms   "
              f"p99 {loaded[key]['p99']:.2f} ms   server CPU {cpu[key]:.0f} us/req")
        print(f"  {'':15s} runs {f['throughput_rps_runs'][key]} req/s, server busy "
              f"{f['server_busy_share_of_a_core'][key]} of a core")
    print(f"ratio score / GET ping throughput: {f['ratio_score_to_ping']:.2f} (target >= 0.80); "
          f"by server CPU per request: {f['ratio_by_server_cpu']:.2f}")
    print(f"ratio score / POST ping (same body): {f['ratio_score_to_ping_post']:.2f}; "
          f"by server CPU per request: {f['ratio_by_server_cpu_post']:.2f}")
    print(f"batch of {b['rows']} rows ({b['source']}, {b['body_mb']:.1f} MB): server "
          f"{b['server_ms_median']:.0f} ms median {[round(x) for x in b['server_ms']]} "
          f"(server CPU {b['server_cpu_ms']} ms), client round trip {b['client_wall_ms']} ms")
    print(f"total {f['total_s']} s")


if __name__ == "__main__":
    sys.exit(main())
