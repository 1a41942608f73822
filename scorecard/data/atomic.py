"""Atomic file writes: every file this project writes appears complete or not at all.

:func:`atomic_write` writes into a temporary file beside the target and renames it into
place only on success, so a failed or killed run never leaves a half-written output behind.
It refuses to replace anything but a regular file: the rename would swap a symbolic link,
a device such as ``/dev/null`` or a FIFO for a plain file (the commands check their paths
first with :mod:`scorecard.data.safety`; this is the last line). Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# The temporary name is ".<name>.<random>.tmp": cut <name> so a target whose name is near
# the file system's 255-byte limit still gets a temporary file beside it.
_TMP_STEM = 100

# The process umask, read once at import (os.umask can only be read by setting it).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _file_mode(path: Path) -> int:
    """mkstemp creates 0600: give the result the mode a plain open() would (or keep the
    replaced file's), else e.g. a card written here is unreadable by the serving user."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def temp_prefix(path: Path) -> str:
    """The prefix of a temporary file beside ``path`` (hidden, name cut to fit)."""
    name = path.name
    if len(os.fsencode(name)) > _TMP_STEM:
        name = os.fsencode(name)[:_TMP_STEM].decode("utf-8", "ignore")
    return f".{name}."


def _refuse_special(path: Path) -> None:
    """Raise if ``path`` exists and is not a regular file (a link, directory, device...)."""
    from scorecard.data.safety import UnsafePathError

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise UnsafePathError("", path, "is a symbolic link; refusing to replace it")
    if not stat.S_ISREG(mode):
        raise UnsafePathError("", path, "exists and is not a regular file; refusing to "
                              "replace it")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **kwargs: object) -> Iterator[IO]:
    """Open a temporary file beside ``path`` and move it into place only on success.

    The rename is atomic on POSIX, so readers see either the old file or the complete new one.
    ``newline=""`` is the default for text mode so CSV writers control line endings.
    Missing parent folders are created.

    Raises:
        scorecard.data.safety.UnsafePathError: ``path`` is a symbolic link, a directory, a
            device, a FIFO or a socket.
    """
    path = Path(path)
    _refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "b" not in mode:
        kwargs.setdefault("newline", "")
        kwargs.setdefault("encoding", "utf-8")
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    # mkstemp creates 0600; outputs are shared artifacts (reports, images), so use 0644.
    os.fchmod(fd, 0o644)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:  # type: ignore[call-overload]
            os.fchmod(fh.fileno(), _file_mode(path))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8, line endings as given) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
