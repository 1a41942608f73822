"""Benchmark: validated reading against raw parsing, on generated files in the case format.

For each size (default 100k, 1M, 10M rows) it prints wall time, rows/s and peak RSS of:

* ``parse pandas``: ``pandas.read_csv`` with the contract's dtypes (``;``, ``NA``), no checks;
* ``parse pyarrow``: ``pyarrow.csv.read_csv`` with the same types, no checks;
* ``validate``: ``scorecard validate FILE`` (read + every contract rule);
* ``predict``: ``scorecard predict --input FILE --output OUT`` (read, rules, score, write);

each in its own process (peak RSS is that process's), with ratios to the pyarrow parse and
the typed frame's size. The 100k file is generated; larger ones repeat its rows with fresh
uuids (so the 10M file is made on the fly in seconds, never committed).

    python scripts/bench_read.py [--sizes 100000 1000000 10000000] [--workdir DIR] [--repeat N]

With ``--repeat N`` every step runs N times and the run of median time is shown (one run
on a shared two-core machine varies by about 10 %).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable

_PARSE = r"""
import io, json, resource, sys, time
import numpy as np
from scorecard.data.contract import KLARNA
path, how = sys.argv[1], sys.argv[2]
types = {c.name: ("float64" if c.kind in ("numeric", "integer", "code", "target") else "str")
         for c in KLARNA.columns}
start = time.perf_counter()
if how == "pandas":
    import pandas as pd
    frame = pd.read_csv(path, sep=";", dtype=types, na_values=["NA"], keep_default_na=False)
    rows, size = len(frame), int(frame.memory_usage(deep=True).sum())
else:
    import pyarrow as pa, pyarrow.csv as pc
    table = pc.read_csv(path, parse_options=pc.ParseOptions(delimiter=";"),
                        convert_options=pc.ConvertOptions(
                            column_types={k: pa.float64() if v == "float64" else pa.string()
                                          for k, v in types.items()},
                            null_values=["NA"], strings_can_be_null=True))
    rows, size = table.num_rows, table.nbytes
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows, "bytes": size,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _make_files(workdir: Path, sizes: list[int]) -> dict[int, Path]:
    base_rows = min(sizes[0], 100_000)
    base = workdir / f"rows_{base_rows}.csv"
    if not base.exists():
        subprocess.run([PY, "-m", "scorecard", "generate-data", "--rows", str(base_rows),
                        "--unlabelled", str(base_rows // 10), "--seed", "7", "--output",
                        str(base)], check=True, capture_output=True)
    lines = base.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    out = {}
    for n in sizes:
        path = workdir / f"rows_{n}.csv"
        out[n] = path
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(header)
            written, copy = 0, 0
            while written < n:
                take = body[: n - written]
                if copy == 0:
                    fh.writelines(take)
                else:  # a fresh uuid per copy: the contract requires unique ids
                    fh.writelines(line.replace(";", f"-{copy};", 1) for line in take)
                written += len(take)
                copy += 1
        tmp.replace(path)
    return out


def _timed(cmd: list[str]) -> dict[str, float]:
    script = ("import json, resource, subprocess, sys, time; s = time.perf_counter(); "
              "r = subprocess.run(sys.argv[1:], capture_output=True); "
              "print(json.dumps({'seconds': time.perf_counter() - s, 'rc': r.returncode, "
              "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, "
              "'stderr': r.stderr.decode()[-400:]}))")
    run = subprocess.run([PY, "-c", script, *cmd], capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


def _parsed(path: Path, how: str) -> dict[str, float]:
    run = subprocess.run([PY, "-c", _PARSE, str(path), how], capture_output=True, text=True,
                         check=True)
    return json.loads(run.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000,
                                                                 10_000_000])
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="runs per step (median shown)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_read_"))
    workdir.mkdir(parents=True, exist_ok=True)
    files = _make_files(workdir, sorted(args.sizes))
    print(f"files in {workdir}")
    print(f"{'rows':>10} {'step':<14} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} "
          f"{'x parse':>8} {'RSS/frame':>9}")
    def median(run: Callable[..., dict[str, float]], *how: object) -> dict[str, float]:
        runs = sorted((run(*how) for _ in range(max(1, args.repeat))),
                      key=lambda r: r["seconds"])
        return runs[len(runs) // 2]

    for n, path in files.items():
        parse = {how: median(_parsed, path, how) for how in ("pandas", "pyarrow")}
        base = parse["pyarrow"]["seconds"]
        frame_bytes = parse["pandas"]["bytes"]
        steps = {"parse pandas": parse["pandas"], "parse pyarrow": parse["pyarrow"],
                 "check": median(_timed, [PY, "-m", "scorecard", "check", str(path)]),
                 "predict": median(_timed, [PY, "-m", "scorecard", "predict", "--input",
                                            str(path), "--output",
                                            str(workdir / "scored.csv")])}
        for name, r in steps.items():
            if r.get("rc", 0) != 0:
                print(f"{n:>10} {name:<14} failed: {r['stderr']}")
                continue
            print(f"{n:>10} {name:<14} {r['seconds']:>8.2f} {n / r['seconds']:>10,.0f} "
                  f"{r['rss'] / 2**30:>8.2f}G {r['seconds'] / base:>8.2f} "
                  f"{r['rss'] / frame_bytes:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
