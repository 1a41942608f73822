"""``scorecard decisions ...``: the decision log the service writes
(:mod:`scorecard.data.decision_log`).

* ``verify`` walks every chain (the reviewers' overrides' too) and names each record or
  override altered, deleted, inserted or reordered (exit 1 when any is);
* ``replay`` re-scores records with the card of their content hash (exit 1 on any
  difference);
* ``show ID`` (the record and its overrides), ``export`` (CSV or Parquet, with each
  decision's overrides in effect), ``purge --before DATE`` (retention, leaving a
  checkpoint), ``outcomes`` (observed defaults, by decision id or applicant id).

``--log`` defaults to ``$SCORECARD_DECISION_LOG``. A log that cannot be opened is one line,
exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scorecard.cli import EXIT_FAILURE, EXIT_OK, UsageError, non_empty

RETENTION_MONTHS = 25  # US Regulation B keeps applications 25 months


def _store(args: argparse.Namespace) -> Any:
    from scorecard import settings
    from scorecard.data.decision_log import open_store

    url = args.log or settings.DECISION_LOG.read()
    if not url:
        raise UsageError(f"--log URL is required (or set {settings.DECISION_LOG.name})")
    return open_store(url)


def when(text: str) -> str:
    """A ``--from``/``--to``/``--before`` bound: an ISO date or UTC time, as the log writes
    its times."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (2026-01-31) or time "
                                         "(2026-01-31T12:00:00Z)") from None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _range(args: argparse.Namespace) -> tuple[str, tuple[Any, ...]]:
    clauses, params = [], []
    if getattr(args, "start", None):
        clauses.append("received >= ?")
        params.append(args.start)
    if getattr(args, "end", None):
        clauses.append("received < ?")
        params.append(args.end)
    return " AND ".join(clauses), tuple(params)


def _verify(args: argparse.Namespace) -> int:
    from scorecard.cli import capped
    from scorecard.data.decision_log import verify

    store = _store(args)
    chains = len(store.chains())
    checked, findings = verify(store)
    overrides = len(store.overrides())
    checked -= overrides
    if findings:
        print(capped("\n".join(map(str, findings))), file=sys.stderr)
        print(f"error: the decision log is NOT intact: {len(findings)} finding(s) in "
              f"{checked:,} records of {chains} chain(s) and {overrides:,} override(s)",
              file=sys.stderr)
        return EXIT_FAILURE
    print(f"intact: {checked:,} records in {chains} chain(s) and {overrides:,} override(s), "
          "every link verified")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    store = _store(args)
    rec = store.get(args.decision_id)
    if rec is None:
        raise UsageError(f"decision {args.decision_id!r} is not in the log")
    for name in ("inputs", "policy", "reasons"):
        if rec[name] is not None:
            rec[name] = json.loads(rec[name])
    rec["observed_default"] = store.outcomes().get(rec["decision_id"])
    rec["overrides"] = store.overrides(rec["decision_id"])
    rec["current_decision"] = (rec["overrides"][-1]["decision"] if rec["overrides"]
                               else rec["decision"])
    print(json.dumps(rec, indent=1, ensure_ascii=False))
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    from api.replay import replay

    cards = Path(args.cards)
    if not cards.is_dir():
        raise UsageError(f"--cards {cards}: not a folder")
    where, params = _range(args)
    report = replay(_store(args), cards, where, params)
    for line in report.differences[:50]:
        print(line)
    if len(report.differences) > 50:
        print(f"... and {len(report.differences) - 50:,} more")
    print(f"replayed {report.replayed:,} decisions with {len(report.cards)} card(s): "
          f"{len(report.differences):,} difference(s)", file=sys.stderr)
    return EXIT_FAILURE if report.differences else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from scorecard.data.safety import output_file
    from scorecard.jobs.decisions import export

    out = Path(args.output)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--output {out}: name a .csv or .parquet file")
    output_file(out, "--output")
    where, params = _range(args)
    n = export(_store(args), out, where, params)
    print(f"wrote {n:,} decisions to {out}", file=sys.stderr)
    return EXIT_OK


def _purge(args: argparse.Namespace) -> int:
    store = _store(args)
    removed = store.purge(args.before)
    print(f"purged {sum(removed.values()):,} decisions received before {args.before} from "
          f"{len(removed)} chain(s); each chain's checkpoint moved, so verify still holds",
          file=sys.stderr)
    return EXIT_OK


def _outcomes(args: argparse.Namespace) -> int:
    from scorecard.data.safety import data_file
    from scorecard.jobs.decisions import attach_outcomes

    store = _store(args)
    matched, unmatched = attach_outcomes(store, data_file(args.input, "--input"))
    print(f"attached {matched:,} observed outcome(s); {unmatched:,} row(s) matched no "
          "decision", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``decisions`` and its subcommands."""
    p = sub.add_parser(
        "decisions", help="the service's decision log: verify, replay, show, export, purge, "
        "outcomes",
        description="Every answer of the service is on record (SCORECARD_DECISION_LOG). "
        f"Default retention: {RETENTION_MONTHS} months (purge --before the date "
        f"{RETENTION_MONTHS} months ago).")
    inner = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        q = inner.add_parser(name, help=help_text, description=help_text)
        q.add_argument("--log", type=non_empty,
                       help="the log's URL (default $SCORECARD_DECISION_LOG): "
                       "sqlite:///relative.db, sqlite:////absolute.db or postgresql://...")
        q.set_defaults(func=func)
        return q

    def time_range(q: argparse.ArgumentParser) -> None:
        q.add_argument("--from", dest="start", type=when, help="first time (UTC), inclusive")
        q.add_argument("--to", dest="end", type=when, help="last time (UTC), exclusive")

    command("verify", "walk every chain (overrides too); name each record or override "
            "altered, deleted, inserted or reordered (exit 1)", _verify)
    q = command("show", "one decision's record, its overrides and the decision in effect, "
                "as JSON", _show)
    q.add_argument("decision_id", type=non_empty)
    q = command("replay", "re-score records with the card of their content hash; every "
                "difference listed (exit 1)", _replay)
    q.add_argument("--cards", type=non_empty, required=True, help="folder of card artifacts "
                   "(searched recursively, matched by content hash)")
    time_range(q)
    q = command("export", "records to a CSV or Parquet file", _export)
    q.add_argument("--output", type=non_empty, required=True, help="FILE.csv or FILE.parquet")
    time_range(q)
    q = command("purge", "delete records received before a date; a checkpoint keeps "
                "verify whole", _purge)
    q.add_argument("--before", type=when, required=True, help="ISO date or UTC time")
    q = command("outcomes", "attach observed defaults from a CSV (decision_id or the card's "
                "id column, and the target column)", _outcomes)
    q.add_argument("--input", type=non_empty, required=True, help="CSV of outcomes")
