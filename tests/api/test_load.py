"""A short run of ``scripts/load_test.py`` against the real server (uvicorn, loopback).

About 20 s: calibration, 6 s of open-loop single scores at half the measured capacity with a
2 s burst at 3x in the middle, then SIGTERM while scores and 2,000-row batches are in flight.
Run without the in-flight limit (``SCORECARD_MAX_IN_FLIGHT=0``: shedding is the overload
test's, below), every request of the load phases must succeed: a burst shows as latency,
never as an error. Server memory must not
grow by more than 50 MB, and the shutdown must be graceful: every request the app had
accepted (its request id is in the app's access log) completes with 200, the in-flight
batches included, and uvicorn finishes its shutdown. Requests sent before SIGTERM but still
unread in a socket are closed unanswered by uvicorn (never accepted); they are reported, not
failed on (see the script's docstring and the load-test notes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_short_load_run(artifact_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "load_test.py"), "--artifact",
         str(artifact_path), "--duration", "6", "--burst-seconds", "2",
         "--calibration-seconds", "2", "--load-factor", "0.5", "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
        env={**os.environ, "SCORECARD_MAX_IN_FLIGHT": "0"})
    assert out.exists(), run.stderr[-3000:]
    report = json.loads(out.read_text())
    summary = json.dumps({k: report[k] for k in ("phases", "rss_mb", "shutdown", "verdict")},
                         indent=1)
    steady, burst = report["phases"]["steady"], report["phases"]["burst"]
    assert steady["requests"] > 500 and burst["requests"] > 100, summary
    # No load shedding (SCORECARD_MAX_IN_FLIGHT=0): every request of the load phases is a 200.
    assert steady["outcomes"] == {"200": steady["requests"]}, summary
    assert burst["outcomes"] == {"200": burst["requests"]}, summary
    rss = report["rss_mb"]
    assert rss["end"] - rss["after_warmup"] < 50, summary
    shutdown = report["shutdown"]
    assert shutdown["accepted_failed"] == 0, summary
    assert shutdown["in_flight_batches_ok"] >= 1, summary
    assert shutdown["clean_exit"] and shutdown["exit_code"] in (0, -15), summary
    assert shutdown["drain_seconds"] < 30, summary
    # After SIGTERM nothing new is accepted for long: the listener closes at once.
    after = shutdown["after_sigterm_outcomes"]
    assert after.get("ConnectRefusedError", 0) > 0, summary
    assert run.returncode == 0 and all(report["verdict"].values()), summary


def test_overload_run_sheds_with_503_only_and_a_killed_worker_is_replaced(
        artifact_path: Path, tmp_path: Path) -> None:
    """``--overload`` in short phases: 1x/3x/10x the capacity on one and two workers, then a
    worker killed with SIGKILL. Figures depend on the machine and are printed, not asserted;
    asserted are the outcomes: 2xx (each a scored applicant) or the deliberate 503, never
    another 5xx; sheds at 10x; the supervisor replaces the killed worker and keeps serving."""
    out = tmp_path / "overload.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "load_test.py"), "--overload", "--artifact",
         str(artifact_path), "--phase-seconds", "2", "--calibration-seconds", "1",
         "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=400)
    assert out.exists(), run.stderr[-3000:]
    report = json.loads(out.read_text())
    summary = json.dumps(report, indent=1)[-6000:]
    verdict = report["verdict"]
    assert verdict["no_5xx_but_deliberate_503"] and verdict["every_2xx_scored"], summary
    assert verdict["worker_replaced"], summary
    for workers in ("workers_1", "workers_2"):
        phases = report[workers]["phases"]
        assert phases["1x"]["accepted"] > 0 and phases["10x"]["accepted"] > 0, summary
        assert phases["10x"]["refused_503_share"] > 0, summary
        for phase in phases.values():
            assert set(phase["outcomes"]) <= {"200", "503", "ConnectRefusedError",
                                              "DisconnectedError", "TimeoutError"}, summary
    kill = report["workers_2"]["kill"]
    assert kill["killed_pid"] not in kill["workers_after"], summary
    assert len(kill["workers_after"]) == len(kill["workers_before"]) == 2, summary
    assert report["workers_2"]["phases"]["kill"]["accepted"] > 0, summary
