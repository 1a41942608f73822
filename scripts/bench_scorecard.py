"""Benchmark the scorecard: fit time on the default data, and the artifact engine's scoring
throughput (rows per second, one core) on 1M rows; peak memory of each.

Each measurement runs in its own subprocess so its peak RSS (``ru_maxrss``) is its own.
Usage: ``python scripts/bench_scorecard.py [--rows 1000000] [--data data/dataset.csv]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

FIT = r"""
import json, resource, sys, time
from pathlib import Path
from scorecard.fit.overrides import BUILTIN_DIR, load_overrides
from scorecard.fit.estimator import Scorecard
from scorecard.fit.spec import KLARNA_SPEC
from scorecard.data.files import read_dataset
t0 = time.perf_counter()
data = read_dataset(sys.argv[1], require_labelled=True).labelled
t1 = time.perf_counter()
card = Scorecard(KLARNA_SPEC, load_overrides(BUILTIN_DIR / "klarna.toml"), method="woe")
card.fit(data, data["default"].to_numpy(dtype=int))
t2 = time.perf_counter()
print(json.dumps({"rows": len(data), "read_s": t1 - t0, "fit_s": t2 - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

SCORE = r"""
import json, resource, sys, time
import numpy as np
from scorecard.card.artifact import load_artifact
from scorecard.card.engine import ScoringEngine
from scorecard.data.files import read_dataset
engine = ScoringEngine(load_artifact(sys.argv[1]))
base = read_dataset(sys.argv[2]).frame
n = int(sys.argv[3])
idx = np.random.default_rng(0).integers(0, len(base), n)
# Column-wise input, as a batch arrives: plain numpy arrays per feature.
columns = {f: base[f].to_numpy()[idx] for f in engine.features_}
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    result = engine.score(columns)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"rows": n, "best_s": best, "rows_per_s": n / best,
                  "input_rss_mb": rss_before,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "mean_pd": float(result.pd.mean())}))
"""


def _run(code: str, *args: str) -> dict:
    # One core: the engine is single-threaded numpy; pin BLAS/OpenMP to one thread too.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, env=env, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", default=str(REPO / "data" / "dataset.csv"))
    parser.add_argument("--artifact", default=str(REPO / "reports" / "scorecard.json"))
    args = parser.parse_args()
    if not Path(args.data).exists():
        subprocess.run([sys.executable, "-m", "scorecard", "generate-data", "--output",
                        args.data], check=True)
    fit = _run(FIT, args.data)
    print(f"fit on {fit['rows']:,} labelled rows: read {fit['read_s']:.1f} s, "
          f"fit {fit['fit_s']:.1f} s, peak RSS {fit['peak_rss_mb']:.0f} MB")
    score = _run(SCORE, args.artifact, args.data, str(args.rows))
    print(f"engine on {score['rows']:,} rows: {score['best_s'] * 1000:.0f} ms (best of 3), "
          f"{score['rows_per_s'] / 1e6:.2f} M rows/s on one core, peak RSS "
          f"{score['peak_rss_mb']:.0f} MB (of which input data {score['input_rss_mb']:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
