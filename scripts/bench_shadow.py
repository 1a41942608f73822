#!/usr/bin/env python
"""What a challenger in shadow costs: throughput with one challenger against none.

Builds two card registries in a temporary folder (``scorecard.registry``): both with the
card as champion, one also with an edit of it as challenger (``tests.support.registry``).
Starts one ``uvicorn --factory api.app:create_app`` server (1 worker, loopback) on each,
both recording to their own SQLite decision log (the shadow results go into the record, so
a challenger is only scored with a log). Then, in rounds interleaved between the two (so
drift hits both alike), a closed loop of ``--connections`` connections posts real
applicants (as ``scripts/bench_decision_log.py``: the unlabelled Klarna rows when
``../shared`` is present, cycled by a wrk script; else the example applicant) to
``POST /v1/score``. Prints throughput, p50/p99 and the ratio shadow / none (goal >= 0.80),
and checks that every record of the shadow run carries the challenger's result.

    .venv/bin/python scripts/bench_shadow.py [--duration 6] [--rounds 3] [--connections 16]
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from bench_api import batch_rows  # noqa: E402
from bench_decision_log import load, start, wrk_script  # noqa: E402

MODES = ("none", "shadow")


def registry(folder: Path, artifact: Path, challenger: bool) -> str:
    """A registry with ``artifact`` as champion (and an edit of it as challenger)."""
    from scorecard.card.artifact import load_artifact
    from scorecard.registry.lifecycle import Registry
    from tests.support.registry import edited_card, write_card

    reg = Registry(str(folder / "registry"))
    cards = [(artifact, "champion")]
    if challenger:
        cards.append((write_card(folder / "challenger", edited_card(load_artifact(artifact))),
                      "challenger"))
    for path, role in cards:
        cid = reg.add(path, "bench-author")["card"]
        reg.approve(cid, "bench-reviewer", "benchmark")
        reg.promote(cid, role, "bench-reviewer", "benchmark")
    return str(folder / "registry")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=REPO / "reports" / "scorecard.json")
    parser.add_argument("--duration", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--applicants", type=int, default=2000,
                        help="distinct real applicants cycled by the load (default 2000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    rows, source = batch_rows(args.applicants)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as tmpdir:
        tmp = Path(tmpdir)
        logs = {m: f"sqlite:///{tmp}/{m}.db" for m in MODES}
        servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
        try:
            for mode in MODES:
                folder = tmp / mode
                folder.mkdir()
                store = registry(folder, args.artifact.resolve(), mode == "shadow")
                servers[mode] = start(args.artifact.resolve(), logs[mode],
                                      tmp / f"{mode}.log", SCORECARD_REGISTRY=store)
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
        from scorecard.data.decision_log import open_store

        records = {m: open_store(logs[m]).count() for m in MODES}
        shadowed = {m: sum(r["shadow"] is not None for r in open_store(logs[m]).records())
                    for m in MODES}

    rps = {m: statistics.median(x["rps"] for x in v) for m, v in runs.items()}
    p50 = {m: statistics.median(x["p50_ms"] for x in v) for m, v in runs.items()}
    p99 = {m: statistics.median(x["p99_ms"] for x in v) for m, v in runs.items()}
    figures = {
        "tool": "wrk" if script else "httpx", "applicants": source,
        "connections": args.connections, "rounds": args.rounds, "duration_s": args.duration,
        "load_average_1m": os.getloadavg()[0],
        "rps_runs": {m: [round(x["rps"]) for x in v] for m, v in runs.items()},
        "rps_median": rps, "p50_ms": p50, "p99_ms": p99,
        "ratio_shadow": rps["shadow"] / rps["none"], "records": records,
        "records_with_shadow": shadowed, "total_s": round(time.monotonic() - started, 1),
    }
    print(f"load: {figures['tool']}, {args.connections} connections closed loop, "
          f"{args.rounds} x {args.duration:g} s per mode, {source}; SQLite decision log on "
          f"both; load average {figures['load_average_1m']:.2f}")
    for m in MODES:
        print(f"  {m:7s} {rps[m]:7.0f} req/s   p50 {p50[m]:.2f} ms   p99 {p99[m]:.2f} ms   "
              f"runs {figures['rps_runs'][m]}")
    print(f"ratio with one challenger in shadow / none: {figures['ratio_shadow']:.2f} "
          "(goal >= 0.80)")
    print(f"records: {records}; with a shadow result: {shadowed}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    ok = shadowed["shadow"] == records["shadow"] and shadowed["none"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
