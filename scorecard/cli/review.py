"""``scorecard review``: the binning workbench in a browser (Litestar on uvicorn, local).

Binds 127.0.0.1 by default: the pages show applicant data aggregated per bin, and nothing
of it is meant to leave the machine. ``--import-xlsx FILE`` instead reads split points
edited in a ``binning_tables.xlsx`` and writes them as overrides (same checks as the
workbench's own edits), without starting the server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from scorecard.cli import (
    EXIT_OK,
    SPEC_FILE_LIMIT,
    UsageError,
    check_spec_file,
    non_empty,
    port_number,
)
from scorecard.data.paths import DEFAULT_DATA


def _review(args: argparse.Namespace) -> int:
    from scorecard.data import safety
    from scorecard.fit.spec import load_spec

    check_spec_file(args.spec)
    spec = load_spec(args.spec)
    data = Path(args.data) if args.data else DEFAULT_DATA
    if not data.exists() and args.data is None:
        raise UsageError(f"no data at {data}: run `scorecard run` first or pass --data FILE")
    safety.data_file(data, "--data")
    overrides = Path(args.overrides) if args.overrides else None
    if overrides is not None and overrides.exists():
        from scorecard.fit.overrides import load_overrides

        safety.input_file(overrides, "--overrides", SPEC_FILE_LIMIT)
        load_overrides(overrides)  # its mistakes before the data is read
    from scorecard.workbench.session import Session, WorkbenchError, default_reviewer

    workdir = Path(args.workdir) if args.workdir else Path(
        tempfile.mkdtemp(prefix="scorecard-review-"))
    try:
        if args.import_xlsx:
            from scorecard.workbench.xlsx import import_workbook

            session = Session(spec, data, overrides, workdir, args.reviewer or
                              default_reviewer(), baseline=False)
            changed = import_workbook(session, Path(args.import_xlsx), args.reason)
            path = session.save()
            print(f"imported {len(changed)} characteristic(s) from {args.import_xlsx} "
                  f"({', '.join(changed) or 'no change'}) into {path}", file=sys.stderr)
            return EXIT_OK
        session = Session(spec, data, overrides, workdir, args.reviewer or default_reviewer())
    except WorkbenchError as exc:
        raise UsageError(str(exc)) from exc
    import uvicorn

    from scorecard.workbench.app import create_app

    print(f"binning workbench on http://{args.host}:{args.port} (session folder {workdir})",
          file=sys.stderr, flush=True)
    uvicorn.run(create_app(session), host=args.host, port=args.port, log_level="warning",
                access_log=False, server_header=False)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review", help="the binning workbench: review and edit the card in a browser",
        description="Serve the binning workbench locally: every characteristic's binning "
        "table, edits (merge, split, regroup, trend, exclude, reset) with reasons, undo/redo, "
        "saving the overrides file, and rebuilding the card with a before/after view.")
    p.add_argument("--spec", default="klarna", type=non_empty,
                   help="klarna (default), heloc or a JSON spec file")
    p.add_argument("--data", type=non_empty, help="labelled data file (default data/dataset.csv)")
    p.add_argument("--overrides", type=non_empty,
                   help="overrides file to read and save (default: the spec's built-in file)")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.add_argument("--port", type=port_number, default=8765, help="port (default 8765)")
    p.add_argument("--reviewer", help="who signs the edits (default $SCORECARD_REVIEWER, "
                   "else $USER)")
    p.add_argument("--workdir", type=non_empty,
                   help="session folder for the rebuilt cards (default: a new temporary one)")
    p.add_argument("--import-xlsx", type=non_empty, metavar="FILE",
                   help="import split points edited in a binning_tables.xlsx as overrides "
                   "and exit")
    p.add_argument("--reason", default="split points edited in the workbook",
                   help="reason recorded for --import-xlsx edits")
    p.set_defaults(func=_review)
