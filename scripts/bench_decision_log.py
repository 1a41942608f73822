#!/usr/bin/env python
"""What the decision log costs, and whether its records replay, in one bounded run.

Starts three ``uvicorn --factory api.app:create_app`` servers (1 worker each, on loopback):
without a log, with a SQLite log (WAL, full fsync) and with a PostgreSQL log (a temporary
PostgreSQL 15 on loopback, started as ``tests.support.postgres`` starts it for the
tests). Then, in rounds interleaved across the three (so drift hits all alike), a closed
loop of
``--connections`` connections posts real applicants (the unlabelled Klarna rows when
``../shared`` is present, cycled by a wrk script; else the example applicant) to
``POST /v1/score``. Prints throughput, p50/p99 and the ratios log / no log (goals: SQLite
>= 0.70, PostgreSQL >= 0.60, p99 < 15 ms), and checks every answer is in each log.

``--replay N`` then logs N decisions (batches of real applicants into the SQLite server),
verifies the chain and replays them all (``api.replay``), printing the time and the number
of differences (goal: 0).

    .venv/bin/python scripts/bench_decision_log.py [--duration 6] [--rounds 3] [--replay 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_api import batch_rows, free_port, run_load, wait_ready  # noqa: E402

HOST = "127.0.0.1"
MODES = ("none", "sqlite", "postgresql")


def start(artifact: Path, log_url: str | None, out: Path,
          **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    env = {**os.environ, "SCORECARD_ARTIFACT": str(artifact), "SCORECARD_MAX_IN_FLIGHT": "0",
           **extra}
    for name in ("SCORECARD_API_KEY", "SCORECARD_DECISION_LOG", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    if log_url:
        env["SCORECARD_DECISION_LOG"] = log_url
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", HOST,
           "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning",
           "--http", "api.protocols:TimedHttpToolsProtocol"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out.open("wb"),
                            stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    wait_ready(url, proc)
    return proc, url


def wrk_script(rows: list[dict[str, Any]], tmp: Path) -> Path:
    """A wrk script posting ``rows`` in turn (real applicants, not one cached body)."""
    bodies = ",\n".join("[==[" + json.dumps(r, separators=(",", ":")) + "]==]" for r in rows)
    script = tmp / "applicants.lua"
    script.write_text(
        "local bodies = {\n" + bodies + "\n}\nlocal i = 0\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "request = function()\n  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/v1/score", headers, bodies[i])\nend\n')
    return script


def run_wrk_rows(url: str, script: Path, connections: int, duration: float) -> dict[str, float]:
    import re

    from bench_api import _ms

    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
           "-s", str(script), url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30,
                          check=True)
    out = done.stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    pct = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+(?:us|ms|s))\s*$", out, re.M))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": _ms(pct["50"]), "p99_ms": _ms(pct["99"])}


def load(url: str, rows: list[dict[str, Any]], script: Path | None, connections: int,
         duration: float, tmp: Path, pid: int) -> dict[str, float]:
    if script is not None:
        return run_wrk_rows(url, script, connections, duration)
    body = json.dumps(rows[0], separators=(",", ":")).encode()
    return run_load("httpx", f"{url}/v1/score", body, connections, duration, False, tmp, pid)


def replay_bench(artifact: Path, n: int, tmp: Path) -> dict[str, Any]:
    """Log ``n`` decisions (batches of 10,000 real applicants into a server with a SQLite
    log and a deadline long enough for a whole batch on a busy machine), verify, replay."""
    from api.replay import replay
    from scorecard.data.decision_log import open_store, verify

    rows, _ = batch_rows(10_000)
    log_url = f"sqlite:///{tmp}/replay.db"
    proc, url = start(artifact, log_url, tmp / "replay.log",
                      SCORECARD_DECISION_LOG_DEADLINE_MS="120000")
    t = time.perf_counter()
    try:
        with httpx.Client(timeout=300) as client:
            sent = 0
            while sent < n:
                part = rows[: min(len(rows), n - sent)]
                r = client.post(f"{url}/v1/score/batch", json=part)
                assert r.status_code == 200, r.text[:300]
                sent += len(part)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    logging_s = time.perf_counter() - t
    store = open_store(log_url)
    before = 0
    cards = tmp / "cards"
    cards.mkdir()
    shutil.copy(artifact, cards / "card.json")
    t = time.perf_counter()
    checked, findings = verify(store)
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    report = replay(store, cards)
    replay_s = time.perf_counter() - t
    return {"logged": store.count() - before, "log_batches_s": round(logging_s, 2),
            "verified": checked, "verify_findings": len(findings),
            "verify_s": round(verify_s, 2), "replayed": report.replayed,
            "differences": len(report.differences), "replay_s": round(replay_s, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=REPO / "reports" / "scorecard.json")
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--applicants", type=int, default=2000,
                        help="distinct real applicants cycled by the load (default 2000)")
    parser.add_argument("--replay", type=int, default=0, metavar="N",
                        help="then log N decisions and replay them (e.g. 100000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    from tests.support import postgres

    if not postgres.available():
        raise SystemExit(postgres.MISSING)
    rows, source = batch_rows(args.applicants)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-log-") as tmpdir, ExitStack() as stack:
        tmp = Path(tmpdir)
        pg = stack.enter_context(postgres.server())
        urls = {"none": None, "sqlite": f"sqlite:///{tmp}/log.db",
                "postgresql": postgres.fresh_database(pg)}
        servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
        try:
            for mode in MODES:
                servers[mode] = start(args.artifact.resolve(), urls[mode], tmp / f"{mode}.log")
            script = wrk_script(rows, tmp) if shutil.which("wrk") else None
            for mode in MODES:  # warm-up
                load(servers[mode][1], rows, script, args.connections, 2, tmp,
                     servers[mode][0].pid)
            runs: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
            for r in range(args.rounds):
                for mode in MODES if r % 2 == 0 else MODES[::-1]:
                    proc, url = servers[mode]
                    runs[mode].append(load(url, rows, script, args.connections,
                                           args.duration, tmp, proc.pid))
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        from scorecard.data.decision_log import open_store, verify

        intact = {m: verify(open_store(urls[m]))[1] == [] for m in MODES[1:]}  # type: ignore[arg-type]
        counts = {m: open_store(urls[m]).count() for m in MODES[1:]}  # type: ignore[arg-type]
        rps = {m: statistics.median(x["rps"] for x in v) for m, v in runs.items()}
        print(f"throughput (median req/s): {rps}; ratios SQLite "
              f"{rps['sqlite'] / rps['none']:.2f}, PostgreSQL "
              f"{rps['postgresql'] / rps['none']:.2f}", flush=True)
        replayed = replay_bench(args.artifact.resolve(), args.replay, tmp) if args.replay \
            else None

    p99 = {m: statistics.median(x["p99_ms"] for x in v) for m, v in runs.items()}
    p50 = {m: statistics.median(x["p50_ms"] for x in v) for m, v in runs.items()}
    figures = {
        "tool": "wrk" if script else "httpx", "applicants": source,
        "connections": args.connections, "rounds": args.rounds, "duration_s": args.duration,
        "load_average_1m": os.getloadavg()[0],
        "rps_runs": {m: [round(x["rps"]) for x in v] for m, v in runs.items()},
        "rps_median": rps, "p50_ms": p50, "p99_ms": p99,
        "ratio_sqlite": rps["sqlite"] / rps["none"],
        "ratio_postgresql": rps["postgresql"] / rps["none"],
        "records": counts, "chains_intact": intact, "replay": replayed,
        "total_s": round(time.monotonic() - started, 1),
    }
    print(f"load: {figures['tool']}, {args.connections} connections closed loop, "
          f"{args.rounds} x {args.duration:g} s per mode, {source}; load average "
          f"{figures['load_average_1m']:.2f}")
    for m in MODES:
        print(f"  {m:10s} {rps[m]:7.0f} req/s   p50 {p50[m]:.2f} ms   p99 {p99[m]:.2f} ms   "
              f"runs {figures['rps_runs'][m]}")
    print(f"ratio with SQLite log / no log:     {figures['ratio_sqlite']:.2f} (goal >= 0.70)")
    print(f"ratio with PostgreSQL log / no log: {figures['ratio_postgresql']:.2f} "
          "(goal >= 0.60)")
    print(f"p99 with a log: SQLite {p99['sqlite']:.2f} ms, PostgreSQL {p99['postgresql']:.2f} "
          "ms (goal < 15 ms)")
    print(f"records: {counts}; chains intact: {intact}")
    if replayed:
        print(f"replay: logged {replayed['logged']:,} decisions in {replayed['log_batches_s']} s"
              f"; verify {replayed['verified']:,} records in {replayed['verify_s']} s "
              f"({replayed['verify_findings']} findings); replayed {replayed['replayed']:,} in "
              f"{replayed['replay_s']} s: {replayed['differences']} difference(s) (goal 0)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
