#!/usr/bin/env python
"""Benchmark ``POST /v1/explain`` beside ``POST /v1/score`` on loopback, in one bounded run.

Starts ``uvicorn --factory api.app:create_app`` (1 worker) on 127.0.0.1 with the decision
policy ``SCORECARD_CUTOFF`` (default ``grade:E``, the master scale's E/F boundary), then
sends every applicant (the real 10,000 unlabelled rows when ``../shared`` is present, else
generated rows) once to each endpoint, one connection, requests interleaved so drift hits
both alike. Reports p50/p99 of the client's wall time and of the server's own time (its
access log's ``duration_ms``: request in -> last byte out), for all applicants and for those
below the cut-off (where the counterfactual search runs), and the same call in process
(the service alone, no HTTP; wall and CPU time). Goal: explain p99 < 5 ms (server time).

    .venv/bin/python scripts/bench_explain.py [--cutoff grade:E] [--rows 10000]
"""

from __future__ import annotations

import argparse
import json
import os
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

REAL_ROWS = REPO.parent / "shared" / "data" / "klarna" / "dataset_unlabelled_10k.csv"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def applicants(n: int) -> tuple[list[dict[str, Any]], str]:
    """The real rows when present (``../shared``), else generated ones."""
    from scorecard.data.contract import KLARNA

    if REAL_ROWS.exists():
        from scorecard.data.files import read_dataset

        frame = read_dataset(REAL_ROWS, KLARNA).frame
        what = f"{REAL_ROWS.name} (real rows)"
    else:
        from scorecard.data.synthetic.generator import generate

        frame, _ = generate(n, 0, seed=7)
        what = "generated rows (the real file is not beside the repository)"
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    rows = [{k: (bool(v) if k == "has_paid" and v is not None else v) for k, v in r.items()
             if k != "default"} for r in rows]
    return rows[:n], what


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def server_durations(log: Path, path: str) -> list[float]:
    return [float(json.loads(line)["duration_ms"]) for line in log.read_text().splitlines()
            if line.startswith("{") and f'"path":"{path}"' in line]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--artifact", default=str(REPO / "reports" / "scorecard.json"))
    ap.add_argument("--cutoff", default="grade:E")
    ap.add_argument("--rows", type=int, default=10_000)
    args = ap.parse_args(argv)

    rows, what = applicants(args.rows)
    from api.service import ScoringService

    service = ScoringService.from_path(args.artifact, allow_missing=True, cutoff=args.cutoff)
    assert service.policy is not None
    cut = service.policy.cutoff_score
    below = [service.score_one(r).score < cut for r in rows]

    # In process: the service call alone, wall time and the thread's CPU time (what the
    # call costs without the other processes of a shared machine taking the core).
    local: list[float] = []
    cpu: list[float] = []
    for r in rows:
        c, t = time.thread_time_ns(), time.perf_counter()
        service.explain({"applicant": r})
        local.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.thread_time_ns() - c) / 1e6)

    port = free_port()
    url = f"http://{HOST}:{port}"
    env = {**os.environ, "SCORECARD_ARTIFACT": args.artifact, "SCORECARD_CUTOFF": args.cutoff}
    env.pop("SCORECARD_API_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "access.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
             HOST, "--port", str(port), "--workers", "1", "--no-access-log", "--log-level",
             "warning"], cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                try:
                    if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            client_ms: dict[str, list[float]] = {"/v1/score": [], "/v1/explain": []}
            statuses: dict[str, int] = {}
            with httpx.Client(base_url=url, timeout=10) as client:
                for r in rows[:200]:  # warm-up
                    client.post("/v1/explain", json={"applicant": r})
                for r in rows:
                    for path, body in (("/v1/score", r), ("/v1/explain", {"applicant": r})):
                        t = time.perf_counter()
                        resp = client.post(path, json=body)
                        client_ms[path].append((time.perf_counter() - t) * 1e3)
                        if resp.status_code != 200:
                            raise SystemExit(f"{path}: {resp.status_code} {resp.text[:300]}")
                        if path == "/v1/explain":
                            s = resp.json()["status"]
                            statuses[s] = statuses.get(s, 0) + 1
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        server = {p: server_durations(log, p) for p in client_ms}
    server["/v1/explain"] = server["/v1/explain"][200:]  # drop the warm-up

    print(f"applicants: {len(rows)} {what}; cut-off {args.cutoff} = score {cut}; "
          f"{sum(below)} below it ({100 * sum(below) / len(rows):.1f} %); explain statuses "
          f"{statuses}")
    print(f"{'':28s}{'p50 ms':>9s}{'p99 ms':>9s}{'max ms':>9s}")

    def line(name: str, values: list[float]) -> None:
        print(f"{name:28s}{statistics.median(values):9.3f}{pct(values, 0.99):9.3f}"
              f"{max(values):9.3f}")

    line("explain in process", local)
    line("explain in process, below", [v for v, b in zip(local, below, strict=True) if b])
    line("  CPU time, below", [v for v, b in zip(cpu, below, strict=True) if b])
    for path in ("/v1/score", "/v1/explain"):
        line(f"{path} server", server[path])
        line(f"{path} client", client_ms[path])
    sb = [v for v, b in zip(server["/v1/explain"], below, strict=True) if b]
    if sb:
        line("/v1/explain server, below", sb)
    p99 = pct(server["/v1/explain"], 0.99)
    print(f"goal explain p99 < 5 ms (server): {'met' if p99 < 5 else 'NOT met'} ({p99:.3f} ms); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
