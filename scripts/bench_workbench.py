"""How long a workbench edit takes: the recomputed table, and the whole edit round trip
(POST the edit, follow the redirect, render the characteristic page) on the default data.

    .venv/bin/python scripts/bench_workbench.py [--data data/dataset.csv] [--repeats 40]

Prints p50/p95/max in milliseconds per operation (target: p95 below 150 ms on the default
~70k development rows). Figures only: no assertion.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from scorecard.data.paths import DEFAULT_DATA
from scorecard.fit.spec import load_spec
from scorecard.workbench.session import Session


def _report(label: str, times: list[float]) -> None:
    ms = np.asarray(times) * 1000
    print(f"{label:<34} n={len(ms):3d}  p50 {np.percentile(ms, 50):7.2f} ms  "
          f"p95 {np.percentile(ms, 95):7.2f} ms  max {ms.max():7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--repeats", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-workbench-"))
    t = time.perf_counter()
    s = Session(load_spec("klarna"), Path(args.data), None, work, reviewer="bench",
                baseline=False)
    print(f"session start (read, split, one binning fit, aggregation): "
          f"{time.perf_counter() - t:.1f} s; {len(s.dev)} development rows")
    names = [n for n, b in s.state.items() if b.exclude is None
             and s.features[n].kind == "numeric" and len(b.splits) >= 2]
    merge_t, split_t, table_t, undo_t = [], [], [], []
    for k in range(args.repeats):
        name = names[k % len(names)]
        t = time.perf_counter()
        s.merge(name, 0, "bench")
        s.table(name)
        s.flags(name)
        merge_t.append(time.perf_counter() - t)
        values = s.features[name].values
        t = time.perf_counter()
        try:
            s.split(name, float(values[len(values) // 3]), "bench")
            s.table(name)
            s.flags(name)
            split_t.append(time.perf_counter() - t)
        except ValueError:
            pass
        t = time.perf_counter()
        s.table(name)
        table_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        while s.undo():
            pass
        s.table(name)
        undo_t.append(time.perf_counter() - t)
    _report("merge + table + flags", merge_t)
    _report("split + table + flags", split_t)
    _report("table alone", table_t)
    _report("undo + table", undo_t)

    from litestar.testing import TestClient

    from scorecard.workbench.app import create_app

    with TestClient(create_app(s)) as client:
        page = client.get(f"/feature/{names[0]}").text
        token = page.split('name="token" value="')[1].split('"')[0]
        round_trip, render = [], []
        for k in range(args.repeats):
            name = names[k % len(names)]
            t = time.perf_counter()
            r = client.post(f"/feature/{name}/edit", data={"token": token, "action": "merge",
                                                           "bin": "0", "reason": "bench"})
            round_trip.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:300]
            t = time.perf_counter()
            client.get(f"/feature/{name}")
            render.append(time.perf_counter() - t)
            s.undo()
        _report("HTTP merge round trip (page)", round_trip)
        _report("HTTP characteristic page", render)


if __name__ == "__main__":
    main()
