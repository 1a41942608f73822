"""The ``scorecard`` command line.

Each submodule registers its subcommands; ``main`` dispatches, and ``run`` (the ``scorecard``
program and ``python -m scorecard``) calls it and leaves:

* :mod:`.data` — ``generate-data``, ``check``, ``oracle``, ``realism``;
  :mod:`.spec` — ``init-spec``, ``example-data``;
* :mod:`.model` — ``run``, ``regenerate``, ``predict``; :mod:`.batch` — ``export-sql``,
  ``score``; :mod:`.serve` — ``serve``;
* :mod:`.monitor` — ``monitor``, ``recalibrate``, ``diff``; :mod:`.explain` — ``explain``;
  :mod:`.fairness` — ``fairness``; :mod:`.review` — ``review``; :mod:`.settings` — ``settings``;
  :mod:`.decisions` — ``decisions ...`` (the decision log); :mod:`.registry` — ``registry
  ...`` (the card registry).

The ``register()`` functions and this module import nothing heavy: a command imports what it
uses inside its function, so ``scorecard --help`` starts at once and ``serve`` never loads the
training stack.

A user's mistake ends in one line ``error: ...`` naming the file, flag or field, and an
exit code; ``scorecard --debug COMMAND ...`` adds the full traceback:

* 0 success;
* 1 unexpected failure (a bug or the machine: out of memory, disk full...);
* 2 usage (:class:`scorecard.errors.UsageError`): a bad argument (argparse, or what argparse
  cannot check), an unknown spec (``SpecError``), a bad overrides file (``OverridesError``),
  a bad setting (``SettingsError``), cut-off or reason method, a path that cannot be written
  or read as asked (``UnsafePathError``, or an ``OSError`` naming the user's path), a
  registry transition refused (``RegistryError``: approving one's own card, promoting an
  unapproved one) or a registry store that cannot be used (``StoreError``);
* 3 invalid input data (:class:`scorecard.errors.InvalidDataError`: ``ContractError``, whose
  report is capped at :data:`MAX_REPORT_LINES` lines of at most :data:`MAX_LINE_CHARS`
  characters, too few rows of a class to fit), or a data file that does not exist, is not a
  regular file or is above the size limit;
* 4 invalid or tampered model artifact (:class:`scorecard.errors.InvalidArtifactError`:
  ``ArtifactError``, a card that cannot be written as SQL: ``SqlExportError``, a registered
  card whose bytes no longer hash to its id: ``TamperedCardError``), or an artifact path
  that cannot be read as a file.

Each error class carries its exit code (:mod:`scorecard.errors`); :func:`describe_error` finds
it by type.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence

# The exit codes and the usage error, re-exported: the commands import them from here.
from scorecard.errors import EXIT_BAD_ARTIFACT as EXIT_BAD_ARTIFACT
from scorecard.errors import EXIT_BAD_DATA as EXIT_BAD_DATA
from scorecard.errors import EXIT_FAILURE, EXIT_USAGE, ScorecardError
from scorecard.errors import UsageError as UsageError

EXIT_OK = 0
EXIT_INTERRUPTED = 130

MAX_REPORT_LINES = 50  # as the API caps its issue list: a 100k-column header is one page
MAX_LINE_CHARS = 2000  # a line lists e.g. a category set; 50 such lines are ~100 KB

# Command modules, each exposing ``register(subparsers)``; imported by name so a missing
# optional module only drops its commands.
_COMMAND_MODULES = ("data", "spec", "model", "serve", "batch", "monitor", "fairness",
                    "explain", "review", "settings", "decisions", "registry")

# errno values meaning "this path cannot be used as given": the user's mistake, not a bug.
_PATH_ERRNOS = {errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR,
                errno.ENAMETOOLONG, errno.EROFS, errno.ELOOP, errno.EEXIST, errno.EINVAL}


# ------------------------------------------------------------------ argument types


def _ranged_int(low: int | None, high: int | None, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is not {what}")
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


positive_int = _ranged_int(1, None, "a positive integer (1 or more)")
non_negative_int = _ranged_int(0, None, "a non-negative integer (0 or more)")
port_number = _ranged_int(1, 65535, "a port number (1-65535)")
seed_int = _ranged_int(0, 2**32 - 1, "a seed between 0 and 2**32 - 1")


SPEC_FILE_LIMIT = 16 << 20  # a spec or overrides file is a few KiB of text


def check_spec_file(value: str) -> None:
    """A ``--spec`` named by path must be a readable regular file of sensible size (a
    built-in spec's name is not a path)."""
    from pathlib import Path

    from scorecard.data.safety import input_file
    from scorecard.fit.spec import BUILTIN_SPECS

    if value not in BUILTIN_SPECS and Path(value).exists():
        input_file(value, "--spec", SPEC_FILE_LIMIT)


def non_empty(text: str) -> str:
    """A path or name argument: the empty string is a mistake, not the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


# ------------------------------------------------------------------ parser and main


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="scorecard",
        description="Auditable monotonic credit scorecard: data, model, validation, serving.",
        epilog="Exit codes: 0 ok, 1 failure, 2 usage (a bad argument, spec or output path), "
               "3 invalid input data, 4 invalid model artifact. Size limits: data read into "
               "memory $SCORECARD_MAX_INPUT_BYTES (default 2GiB), card artifacts "
               "$SCORECARD_MAX_ARTIFACT_BYTES (default 64MiB). No output may be an input, "
               "the artifact, a link or a special file.")
    parser.add_argument("--debug", action="store_true",
                        help="print the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"scorecard.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"scorecard.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def capped(report: str, max_lines: int = MAX_REPORT_LINES,
           max_chars: int = MAX_LINE_CHARS) -> str:
    """``report`` cut to ``max_lines`` lines of at most about ``max_chars`` characters each
    (a long line keeps its start and its end, where the rows are named), with how much was
    left out, so no error prints megabytes."""
    lines = report.splitlines() or [""]
    head, tail = (2 * max_chars) // 3, max_chars // 3
    shown = [line if len(line) <= max_chars
             else f"{line[:head]} ...({len(line) - head - tail:,} characters left out)... "
                  f"{line[-tail:]}"
             for line in lines[:max_lines]]
    if len(lines) > max_lines:
        shown.append(f"... and {len(lines) - max_lines:,} more line(s)")
    return "\n".join(shown)


def describe_error(exc: BaseException) -> tuple[int, str]:
    """The exit code and the ``error: ...`` text ``main`` prints for ``exc``: a
    :class:`~scorecard.errors.ScorecardError` carries its code."""
    if isinstance(exc, ScorecardError):
        text = getattr(exc, "report", None) or str(exc)
        return exc.exit_code, f"error: {exc.prefix}{capped(text)}"
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        if exc.filename2 is not None:
            where = f"{where} -> {exc.filename2}"
        what = (exc.strerror or str(exc)).lower()
        line = f"error: {where}: {what}" if where else f"error: {what}"
        return (EXIT_USAGE if exc.errno in _PATH_ERRNOS else EXIT_FAILURE), capped(line, 1)
    if isinstance(exc, MemoryError):
        return EXIT_FAILURE, ("error: out of memory (for large files use `scorecard score "
                              "--engine duckdb`, which streams)")
    first = capped(str(exc), 1)
    return EXIT_FAILURE, (f"error: unexpected failure: {type(exc).__name__}: {first} "
                          "(run `scorecard --debug ...` for the traceback)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of our stdout went away (`scorecard export-sql | head`): not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        code, message = describe_error(exc)
        if args.debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        print(message, file=sys.stderr)
        return code


def run() -> int:
    """The ``scorecard`` program: :func:`main` with this process's arguments; its exit code.

    The process leaves through :func:`os._exit` once every ``atexit`` handler registered
    during the command (joblib's, logging's...) has run and the standard streams are
    flushed, so the C++ static destructors are skipped: a native thread pool (Arrow's CSV
    reader's) torn down there can abort a finished command (``std::terminate``, SIGABRT),
    which would turn an exit code into -6 after every file was already written.
    """
    import atexit

    status: list[int] = []
    # registered before the command imports any library, so it runs after their handlers
    atexit.register(_leave, status)
    status.append(main())
    return status[0]


def _leave(status: list[int]) -> None:
    if not status:  # main raised (argparse's SystemExit, a bug): Python's own exit reports it
        return
    import contextlib
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken pipe: nothing to flush into
            stream.flush()
    os._exit(status[0])


if __name__ == "__main__":
    sys.exit(run())
