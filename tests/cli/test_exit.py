"""The program leaves with its command's exit code and every byte it wrote (``scorecard.cli.run``).

``run`` ends the process with ``os._exit`` after the ``atexit`` handlers, skipping the C++
static destructors in which Arrow's thread pools may abort a finished command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.cli import main
from tests.support.paths import REPO

CARD = REPO / "reports" / "scorecard.json"
GOOD = REPO / "tests" / "data" / "corpus" / "base.csv"


def _scorecard(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    # block-buffered streams, as a user's shell gives a piped command
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-m", "scorecard", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=300, check=False)


def test_a_piped_commands_whole_output_arrives_before_the_program_leaves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``settings`` prints less than a pipe's buffer: all of it is still held at exit."""
    piped = _scorecard("settings", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr[-2000:]
    assert main(["settings"]) == 0
    assert piped.stdout.decode() == capsys.readouterr().out != ""


def test_a_mistake_after_arrow_has_read_the_data_still_exits_2_with_its_line(
        tmp_path: Path) -> None:
    """Arrow's CSV reader has started its threads when the group column is found missing."""
    for attempt in range(3):
        run = _scorecard("fairness", "--artifact", str(CARD), "--input", str(GOOD),
                         "--groups", "nosuch", "--out", f"f{attempt}", cwd=tmp_path)
        assert run.returncode == 2, run.stderr[-2000:]
        assert run.stderr.decode().strip().splitlines()[-1].startswith(
            "error: --groups 'nosuch'")
