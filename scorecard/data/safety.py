"""Checks on the paths a user hands a command, before anything is read or written.

Every command that reads or writes a user's file runs its paths through here, so a mistake
ends in one clear line naming the path instead of a traceback or, worse, a damaged file:

* :func:`input_file` — the path exists, is a regular file (a directory, ``/dev/zero`` or a
  FIFO is refused: reading one would fail late or never end) and is not larger than a limit.
  :func:`data_file` applies the in-memory limit to data files (:func:`input_limit`,
  ``SCORECARD_MAX_INPUT_BYTES``, default 2 GiB; streaming readers have none) and
  :func:`artifact_file` the card's (:func:`artifact_limit`, ``SCORECARD_MAX_ARTIFACT_BYTES``,
  default 64 MiB). Sizes are bytes or e.g. ``8GiB``, ``512MiB``.
* :func:`output_file` — the output is not a symbolic link (the atomic rename would replace the
  link itself, and as root ``--output /dev/null`` would replace the system's ``/dev/null``),
  not an existing directory, device or FIFO, not the same file as any input or the artifact
  (``predict --input x.csv --output x.csv`` would replace the data with its predictions), and
  its name fits the file system; and its folder (or the nearest existing one above it) must
  take a new file. Missing parent folders are created by the writer.
* :func:`output_folder` — the same for a folder a command fills with known file names.

The checks cannot close every race (a path can change between check and write); they stop
the mistakes a user makes. Standard library only.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from scorecard import settings
from scorecard.errors import EXIT_BAD_ARTIFACT, EXIT_BAD_DATA, EXIT_USAGE, UsageError
from scorecard.settings import GIB, MIB

ENV_MAX_INPUT_BYTES = settings.MAX_INPUT_BYTES.name
ENV_MAX_ARTIFACT_BYTES = settings.MAX_ARTIFACT_BYTES.name
_NAME_MAX = 255  # bytes per path component on every common Linux/macOS file system
_PATH_MAX = 4096

# An unusable data file is invalid input data, an unusable artifact an invalid artifact (as
# their contents would be); any other path is a usage error.
_KIND_EXITS = {"data": EXIT_BAD_DATA, "artifact": EXIT_BAD_ARTIFACT}

# A path one names on the command line, paired with the flag that named it ("--input").
Protected = tuple[str, "str | Path"]


class UnsafePathError(UsageError):
    """A user's path cannot be used as asked; the message names the flag and the path.

    ``kind`` says what the path was for: ``"data"`` (an input data file), ``"artifact"``
    (a card), or ``"path"`` (an output, a spec or overrides file, a folder); the command line
    exits 3, 4 or 2 accordingly, as for the contents of such a file.
    """

    def __init__(self, role: str, path: str | Path, problem: str, kind: str = "path") -> None:
        self.role, self.path, self.problem, self.kind = role, Path(path), problem, kind
        self.exit_code = _KIND_EXITS.get(kind, EXIT_USAGE)
        where = f"{role} {path}" if role else str(path)
        super().__init__(f"{where}: {problem}")


def input_limit() -> int:
    """Largest file a command reads into memory: ``$SCORECARD_MAX_INPUT_BYTES`` or 2 GiB."""
    limit: int = settings.MAX_INPUT_BYTES.read()
    return limit


def artifact_limit() -> int:
    """Largest card artifact a command reads: ``$SCORECARD_MAX_ARTIFACT_BYTES`` or 64 MiB."""
    limit: int = settings.MAX_ARTIFACT_BYTES.read()
    return limit


def _human(n: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _check_name(role: str, path: Path) -> None:
    """Refuse a path the file system cannot hold, before any call fails obscurely on it."""
    raw = os.fsencode(path)
    if len(raw) >= _PATH_MAX:
        raise UnsafePathError(role, _short(path), f"the path is too long ({len(raw)} bytes; "
                              f"the limit is {_PATH_MAX - 1})")
    for part in path.parts:
        n = len(os.fsencode(part))
        if n > _NAME_MAX:
            raise UnsafePathError(role, _short(path), f"a name in the path is too long ({n} "
                                  f"bytes; the file system allows {_NAME_MAX})")


def _short(text: str | Path, keep: int = 60) -> str:
    """A long path cut to its ends, so the error line stays one readable line."""
    s = str(text)
    return s if len(s) <= 2 * keep else f"{s[:keep]}...{s[-keep:]}"


def _stat_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "does not exist"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if exc.errno == errno.ELOOP:
        return "too many levels of symbolic links"
    return (exc.strerror or str(exc)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def input_file(path: str | Path, role: str = "--input", max_bytes: int | None = None,
               limit_hint: str = "", kind: str = "path") -> Path:
    """``path`` if it names a readable regular file of at most ``max_bytes`` bytes.

    Symbolic links are followed (reading through a link is harmless). ``limit_hint`` is
    appended to the too-large message (how to raise the limit or stream instead); ``kind``
    goes into the error (see :class:`UnsafePathError`).

    Raises:
        UnsafePathError: naming ``role`` and ``path`` and what is wrong.
    """
    p = Path(path)
    try:
        _check_name(role, p)
        st = os.stat(p)
    except UnsafePathError as exc:
        raise UnsafePathError(role, exc.path, exc.problem, kind) from None
    except OSError as exc:
        raise UnsafePathError(role, p, _stat_problem(exc), kind) from exc
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError(role, p, f"is {_kind(st.st_mode)}; name a regular file", kind)
    if not os.access(p, os.R_OK):
        raise UnsafePathError(role, p, "permission denied (not readable)", kind)
    if max_bytes is not None and st.st_size > max_bytes:
        raise UnsafePathError(role, p, f"is {_human(st.st_size)}, above the limit of "
                              f"{_human(max_bytes)}{limit_hint}", kind)
    return p


def data_file(path: str | Path, role: str = "--input", in_memory: bool = True) -> Path:
    """:func:`input_file` for a data file: kind ``"data"``, and when it is read whole
    (``in_memory``) at most :func:`input_limit` bytes."""
    return input_file(path, role, input_limit() if in_memory else None, input_hint(), "data")


def input_hint() -> str:
    """What to do about an input above :func:`input_limit`."""
    return (f" for reading into memory (set {ENV_MAX_INPUT_BYTES}, e.g. 8GiB, or stream it "
            "with `scorecard score --engine duckdb`)")


def artifact_file(path: str | Path, role: str = "--artifact") -> Path:
    """:func:`input_file` with the artifact's size limit."""
    return input_file(path, role, artifact_limit(), f" for a card artifact (set "
                      f"{ENV_MAX_ARTIFACT_BYTES} to raise it)", "artifact")


def _same(a: Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _probe(role: str, path: Path, folder: Path) -> None:
    """Create and remove a hidden file in ``folder``: the only test that holds for root, a
    read-only mount or an ACL alike (``os.access`` answers for the permission bits)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".scorecard-probe-", dir=folder)
    except OSError as exc:
        raise UnsafePathError(role, path, f"cannot write in the folder {folder} "
                              f"({_stat_problem(exc)})") from exc
    os.close(fd)
    os.unlink(name)


def _writable_ancestor(role: str, path: Path, folder: Path | None = None) -> None:
    """The nearest existing folder above ``path`` must be a writable directory (missing
    folders below it are created by the writer; every atomic write creates its temporary
    file in the target's folder, so that folder is what must be writable)."""
    parent = (folder or path.parent).absolute()
    while True:
        try:
            st = os.stat(parent)
            break
        except FileNotFoundError:
            if parent.parent == parent:
                return
            parent = parent.parent
        except OSError as exc:
            raise UnsafePathError(role, path, f"its folder {parent}: {_stat_problem(exc)}"
                                  ) from exc
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(role, path, f"{parent} is a file, not a folder")
    _probe(role, path, parent)


def output_file(path: str | Path, role: str = "--output",
                protect: Iterable[Protected] = ()) -> Path:
    """``path`` if a command may (atomically) create or replace it.

    ``protect`` lists the ``(flag, path)`` pairs the command reads (inputs, the artifact):
    the output must not be any of them, however it is spelled (symlinks, ``..``, hard links).

    Raises:
        UnsafePathError: naming ``role`` and ``path`` and what is wrong.
    """
    p = Path(path)
    _check_name(role, p)
    try:
        st: os.stat_result | None = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UnsafePathError(role, p, _stat_problem(exc)) from exc
    if st is not None and stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(role, p, f"is a symbolic link (to {os.readlink(p)}); refusing "
                              "to replace it: name the real file")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UnsafePathError(role, p, f"exists and is {_kind(st.st_mode)}; refusing to "
                              "replace it: name a new or regular file")
    for other_role, other in protect if st is not None else ():
        if _same(p, other):
            raise UnsafePathError(role, p, f"is the same file as {other_role} {other}; "
                                  "refusing to overwrite it: write the output elsewhere")
    _writable_ancestor(role, p)
    return p


def output_folder(path: str | Path, names: Iterable[str], role: str = "--out",
                  protect: Iterable[Protected] = ()) -> Path:
    """``path`` if it is (or can become) a folder whose files ``names`` (relative, may hold
    ``/``) a command may write: each passes :func:`output_file` against ``protect``."""
    p = Path(path)
    _check_name(role, p)
    try:
        st: os.stat_result | None = os.stat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UnsafePathError(role, p, _stat_problem(exc)) from exc
    if st is None:
        _writable_ancestor(role, p, p)
        return p
    if not stat.S_ISDIR(st.st_mode):
        what = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
        raise UnsafePathError(role, p, f"is {what}, not a folder")
    protect = list(protect)
    for name in names:
        output_file(p / name, role, protect)
    _probe(role, p, p)
    return p
