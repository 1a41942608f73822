#!/usr/bin/env python
"""The overload benchmark of issue 28, black-box with ``wrk``: closed-loop floods of
``POST /v1/score`` (one real applicant) at 16, 64, 256 and 1,024 connections, against one
and two uvicorn workers, with ``/health`` probed meanwhile on the API port and on the probe
port (``SCORECARD_PROBE_PORT``, :mod:`api.probes`).

Per phase: ``wrk -t1 -cN -d8s`` with ``scripts/wrk/score.lua`` (answers per second by
status, the accepted answers' latency apart from the refusals'), wrk's socket errors, the
``/health`` latency on each port (a new connection every 50 ms, as a load balancer's health
check; ``health_*`` the API port, ``probe_*`` the probe port) and
the machine's load average (it may be shared: the figures are then not the server's alone).
Goodput is the 200 answers per second as a fraction of the 16-connection figure of the same
run. A benchmark that prints figures, not a test: nothing is asserted.

    .venv/bin/python scripts/wrk_overload.py [--workers 1,2] [--connections 16,64,256,1024]
        [--seconds 8] [--rounds 1] [--code DIR] [--json out.json]

``--code DIR`` serves another checkout's ``api`` package (e.g. the main branch, for a
before/after comparison in the same conditions); the card is this checkout's unless
``--artifact`` names another. Needs ``wrk`` (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
REAL_ROWS = REPO.parent / "shared" / "data" / "klarna" / "dataset_unlabelled_10k.csv"
PROBE_EVERY_S = 0.05


def applicant() -> bytes:
    """One real applicant (the first unlabelled row) as JSON, else a generated one."""
    if REAL_ROWS.is_file():
        with REAL_ROWS.open(encoding="utf-8") as f:
            names = f.readline().rstrip("\n").split(";")
            values = f.readline().rstrip("\n").split(";")
        row: dict[str, Any] = {}
        for name, value in zip(names, values, strict=True):
            if name == "default":
                continue
            row[name] = None if value == "NA" else _typed(value)
        row["uuid"] = values[names.index("uuid")]
        return json.dumps(row).encode()
    sys.path.insert(0, str(REPO))
    from scorecard.data.synthetic.generator import generate

    frame, _ = generate(1, 0, seed=7)
    return frame.drop(columns=["default"]).iloc[:1].to_json(orient="records")[1:-1].encode()


def _typed(value: str) -> Any:
    if value in ("True", "False"):
        return value == "True"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start(code: Path, artifact: Path, port: int, workers: int, log: Path,
          probe_port: int | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SCORECARD_ARTIFACT": str(artifact), "PYTHONPATH": str(code)}
    if probe_port is not None:
        env["SCORECARD_PROBE_PORT"] = str(probe_port)
    for name in ("SCORECARD_API_KEY", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", HOST,
           "--port", str(port), "--no-server-header", "--timeout-keep-alive", "65",
           "--no-access-log", "--log-level", "warning", "--http",
           "api.protocols:TimedHttpToolsProtocol", "--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=subprocess.DEVNULL,
                            stderr=log.open("wb"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        if probe(port, "/ready")[0] == 200:
            time.sleep(3.0 if workers > 1 else 0.5)  # /ready answers once one worker is up
            return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server not ready in 90 s")


def probe(port: int, path: str, timeout: float = 5.0) -> tuple[int, float]:
    """(status, ms) of ``GET path`` on a new connection; status 0 on a failure."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n"
                      .encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return int(data.split(b" ", 2)[1]), 1000 * (time.perf_counter() - t0)
    except (OSError, ValueError, IndexError):
        return 0, 1000 * (time.perf_counter() - t0)


class Prober(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port, self.stop = port, threading.Event()
        self.samples: list[tuple[int, float]] = []

    def run(self) -> None:
        while not self.stop.wait(PROBE_EVERY_S):
            self.samples.append(probe(self.port, "/health"))


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999999) - 1))]


def run_wrk(port: int, connections: int, seconds: float, script: Path,
            body: Path) -> dict[str, Any]:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s",
           str(script), f"http://{HOST}:{port}/v1/score"]
    out = subprocess.run(cmd, env={**os.environ, "WRK_BODY": str(body)}, capture_output=True,
                         text=True, timeout=seconds + 60, check=False).stdout
    result: dict[str, Any] = {"statuses": {}}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result.update({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)})
        elif line.startswith("STATUS "):
            status = line.split()[1]
            result["statuses"][status] = {k: float(v) for k, v in
                                          re.findall(r"(\w+)=([\d.]+)", line)}
    if "seconds" not in result:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    return result


def phase(port: int, connections: int, seconds: float, script: Path,
          body: Path, probe_port: int | None) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    prober = Prober(port)
    probes = Prober(probe_port) if probe_port is not None else None
    for thread in (prober, probes):
        if thread is not None:
            thread.start()
    result = run_wrk(port, connections, seconds, script, body)
    for thread in (prober, probes):
        if thread is not None:
            thread.stop.set()
            thread.join()
    probe_ms = [ms for _, ms in probes.samples] if probes is not None else []
    span = result["seconds"]
    statuses = result["statuses"]
    ok = statuses.get("200", {})
    refused = statuses.get("503", {})
    health = [ms for status, ms in prober.samples]
    return {
        "connections": connections,
        "ok_per_s": round(ok.get("count", 0) / span, 1),
        "refused_per_s": round(refused.get("count", 0) / span, 1),
        "other_statuses": {k: int(v["count"]) for k, v in statuses.items()
                           if k not in ("200", "503")},
        "other_5xx": sum(int(v["count"]) for k, v in statuses.items()
                         if k.startswith("5") and k != "503"),
        "socket_errors": int(sum(result.get(k, 0) for k in
                                 ("connect", "read", "write", "timeout"))),
        "accepted_p50_ms": round(ok.get("p50", float("nan")), 2),
        "accepted_p99_ms": round(ok.get("p99", float("nan")), 2),
        "accepted_max_ms": round(ok.get("max", float("nan")), 2),
        "refused_p50_ms": round(refused.get("p50", float("nan")), 1),
        "refused_p99_ms": round(refused.get("p99", float("nan")), 1),
        "health_p99_ms": round(quantile(health, 0.99), 2),
        "health_max_ms": round(max(health, default=float("nan")), 2),
        "health_failed": sum(status != 200 for status, _ in prober.samples),
        "probe_p99_ms": round(quantile(probe_ms, 0.99), 2),
        "probe_max_ms": round(max(probe_ms, default=float("nan")), 2),
        "probe_failed": 0 if probes is None else sum(s != 200 for s, _ in probes.samples),
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase's rounds: the round of median goodput, with the worst errors and probes
    of all rounds (on a shared machine one round can be disturbed; errors are not)."""
    row = dict(sorted(rows, key=lambda r: r["ok_per_s"])[len(rows) // 2])
    for key in ("other_5xx", "socket_errors", "health_failed", "probe_failed"):
        row[key] = sum(r[key] for r in rows)
    for key in ("health_max_ms", "probe_max_ms"):
        row[key] = max(r[key] for r in rows)
    row["rounds_ok_per_s"] = [r["ok_per_s"] for r in rows]
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", default="1,2", help="worker counts, e.g. 1 or 1,2")
    p.add_argument("--connections", default="16,64,256,1024")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--rounds", type=int, default=1, help="repeat the phases; report the "
                   "median round of each (a shared machine's noise)")
    p.add_argument("--code", type=Path, default=REPO, help="checkout whose api is served")
    p.add_argument("--artifact", type=Path, default=REPO / "reports" / "scorecard.json")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    if shutil.which("wrk") is None:
        p.error("wrk is not installed (Debian: apt-get install wrk)")
    counts = [int(c) for c in args.connections.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="wrk-overload-"))
    body = folder / "applicant.json"
    body.write_bytes(applicant())
    script = REPO / "scripts" / "wrk" / "score.lua"
    report: dict[str, Any] = {"code": str(args.code.resolve()), "runs": []}
    for workers in (int(w) for w in args.workers.split(",")):
        port = free_port()
        # the probe port exists from this change on: an older --code is probed on its API port
        probe_port = free_port() if (args.code / "api" / "probes.py").is_file() else None
        proc = start(args.code.resolve(), args.artifact.resolve(), port, workers,
                     folder / f"server-{workers}.log", probe_port)
        try:
            phase(port, 16, 2.0, script, body, probe_port)  # warm-up
            runs: dict[int, list[dict[str, Any]]] = {n: [] for n in counts}
            for _ in range(args.rounds):
                for n in counts:
                    time.sleep(1.5)  # the previous phase's refusals and connections clear
                    row = phase(port, n, args.seconds, script, body, probe_port)
                    row["workers"] = workers
                    runs[n].append(row)
                    print(json.dumps(row), file=sys.stderr, flush=True)
            rows = [median_row(runs[n]) for n in counts]
            base = next((r["ok_per_s"] for r in rows if r["connections"] == 16), None)
            for row in rows:
                row["goodput_vs_16"] = round(row["ok_per_s"] / base, 3) if base else None
            report["runs"] += rows
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    cols = ("workers", "connections", "ok_per_s", "goodput_vs_16", "rounds_ok_per_s",
            "refused_per_s",
            "other_5xx", "socket_errors", "accepted_p50_ms", "accepted_p99_ms",
            "refused_p50_ms", "refused_p99_ms", "health_p99_ms", "health_max_ms", "health_failed",
            "probe_p99_ms", "probe_max_ms", "probe_failed", "load_1min")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in report["runs"]:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
