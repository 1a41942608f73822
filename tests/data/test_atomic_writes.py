"""A write that fails or is killed midway leaves the previous file intact.

Every file the project writes goes through :func:`scorecard.data.atomic.atomic_write` (temporary
file beside the target, fsync, ``os.replace``). These tests break real writers after they
have put bytes on disk: an exception raised from inside ``DataFrame.to_csv`` (via
``scorecard.jobs.outputs.write_csv``), an exception and a ``KeyboardInterrupt`` from a generator
feeding ``atomic_write``, and SIGKILL of a process writing a large predictions file. The
writer also refuses to replace anything but a regular file (a link, folder, FIFO), and fits
its temporary name beside a target whose name is near the file system's limit.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scorecard.data.atomic import atomic_write, atomic_write_bytes, atomic_write_text
from scorecard.data.safety import UnsafePathError
from scorecard.jobs.outputs import write_csv

REPO = Path(__file__).resolve().parents[2]
OLD = "uuid,pd\nprevious-run,0.25\n"


def _temps(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


@pytest.fixture()
def target(tmp_path: Path) -> Path:
    path = tmp_path / "predictions.csv"
    path.write_text(OLD)
    return path


class _FailingCell:
    """A cell whose text conversion fails: records the temp file's size at that moment,
    proving output had already reached the disk, then raises."""

    seen: list[int] = []  # noqa: RUF012  (shared on purpose: written from inside to_csv)

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __str__(self) -> str:
        _FailingCell.seen.extend(p.stat().st_size for p in _temps(self.folder))
        raise RuntimeError("disk on fire")

    __repr__ = __str__


def test_exception_inside_to_csv_keeps_the_old_file(target: Path) -> None:
    n = 300_000
    ids = np.array([f"id-{i}" for i in range(n)], dtype=object)
    ids[250_000] = _FailingCell(target.parent)  # pandas writes in chunks: this is late
    frame = pd.DataFrame({"uuid": ids, "pd": np.linspace(0.001, 0.5, n)})
    _FailingCell.seen.clear()
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_csv(frame, target)
    assert _FailingCell.seen and max(_FailingCell.seen) > 1_000_000, "no partial output seen"
    assert target.read_text() == OLD
    assert sorted(p.name for p in target.parent.iterdir()) == ["predictions.csv"]


def _rows(fail_at: int | None, exc: BaseException) -> Iterator[str]:
    for i in range(10_000):
        if i == fail_at:
            raise exc
        yield f"row-{i},{i / 10_000!r}\n"


@pytest.mark.parametrize("exc", [OSError("No space left on device"), KeyboardInterrupt()])
def test_generator_failing_midway_keeps_the_old_file(target: Path, exc: BaseException) -> None:
    written = 0
    with pytest.raises(type(exc)), atomic_write(target) as fh:
        for line in _rows(5_000, exc):
            fh.write(line)
            fh.flush()
            written += len(line)
    assert written > 50_000
    assert target.read_text() == OLD
    assert _temps(target.parent) == []


def test_a_new_file_is_not_created_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.csv"
    with pytest.raises(OSError), atomic_write(path) as fh:
        fh.write("partial")
        raise OSError("boom")
    assert not path.exists() and list(path.parent.iterdir()) == []


def test_success_replaces_and_file_modes_are_usual(target: Path, tmp_path: Path) -> None:
    """mkstemp makes 0600 files; results must get the mode a plain open() gives (a card
    written 0600 by root is unreadable by the container's app user), and a replaced file
    keeps its mode."""
    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "fresh.json"
    atomic_write_text(fresh, "{}\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)
    atomic_write_text(target, "uuid,pd\nnew,0.5\n")
    assert target.read_text() == "uuid,pd\nnew,0.5\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _temps(tmp_path) == []


# A child writing a large predictions file with the project's writer; killed midway. A
# missing reason code sends it through pandas, which writes in chunks for seconds (the fast
# writer would finish 1.5M rows within the 0.3 s delay).
_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    from scorecard.jobs.outputs import write_csv
    n = int(sys.argv[2])
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "uuid": [f"{i:08x}-0000-4000-8000-000000000000" for i in range(n)],
        "pd": rng.random(n), "score": rng.integers(300, 800, n),
        "reason_1": "AGE", "reason_2": "NUM_UNPAID_BILLS", "reason_3": None, "reason_4": "",
    })
    print("ready", flush=True)
    write_csv(frame, sys.argv[1])
""")
N_ROWS = 1_500_000


def _complete(path: Path) -> bool:
    data = path.read_bytes()
    return data.endswith(b"\n") and data.count(b"\n") == N_ROWS + 1


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_sigkill_mid_write_leaves_old_or_complete(target: Path, delay: float) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), str(N_ROWS)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        partial = 0
        while time.monotonic() < deadline and proc.poll() is None:
            temps = _temps(target.parent)
            if temps and temps[0].stat().st_size > 0:
                time.sleep(delay)
                partial = sum(p.stat().st_size for p in _temps(target.parent))
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, "the writer finished before it was killed"
    assert partial > 0
    # The target is the old file (the rename had not happened) or the complete new one.
    assert target.read_text() == OLD or _complete(target)
    # SIGKILL cannot be cleaned up after: the partial temp file stays, hidden (leading dot,
    # .tmp suffix) so that no *.csv glob or reader ever picks it up.
    for stray in _temps(target.parent):
        assert stray.name.startswith(".predictions.csv.") and stray.suffix == ".tmp"
    assert [p.name for p in target.parent.glob("*.csv")] == ["predictions.csv"]


@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "directory", "fifo"])
def test_a_target_that_is_not_a_regular_file_is_never_replaced(kind: str, target: Path,
                                                               tmp_path: Path) -> None:
    special = tmp_path / "special"
    if kind == "symlink":
        special.symlink_to(target)
    elif kind == "dangling symlink":
        special.symlink_to(tmp_path / "nowhere")
    elif kind == "directory":
        special.mkdir()
    else:
        os.mkfifo(special)
    mode = os.lstat(special).st_mode
    with pytest.raises(UnsafePathError, match="refusing to replace it"):
        atomic_write_text(special, "new\n")
    with pytest.raises(UnsafePathError), atomic_write(special, "wb") as fh:
        fh.write(b"never")
    assert os.lstat(special).st_mode == mode
    assert target.read_text() == OLD  # what a link pointed at is untouched
    assert _temps(tmp_path) == []


def test_a_name_at_the_file_system_limit_still_gets_a_temporary_file(tmp_path: Path) -> None:
    name = "p" * 251 + ".csv"  # 255 bytes: ".<name>.<random>.tmp" would not fit
    atomic_write_bytes(tmp_path / name, b"uuid,pd\n")
    assert (tmp_path / name).read_bytes() == b"uuid,pd\n"
    assert _temps(tmp_path) == []
    with pytest.raises(OSError), atomic_write(tmp_path / ("q" * 256)) as fh:
        fh.write("too long")
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
