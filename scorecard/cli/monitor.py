"""After go-live: ``monitor``, ``recalibrate`` and ``diff`` of a served card.

Exit codes follow :mod:`scorecard.cli` (0 ok, 2 usage, 3 bad data, 4 bad artifact), and
``monitor`` exits :data:`EXIT_BREACHED` (5) when any period breaches a threshold (red PSI or
CSI, or with ``--outcomes`` an AUC significantly below development or a default rate
significantly off the mean pd; see :mod:`scorecard.jobs.monitor`), so a scheduler can alert
on the exit code alone; the files are written either way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scorecard.cli import EXIT_OK, UsageError, non_empty
from scorecard.data.paths import DEFAULT_ARTIFACT

EXIT_BREACHED = 5


def _artifact(path: str, role: str = "--artifact") -> dict[str, Any]:
    from scorecard.card.artifact import load_artifact
    from scorecard.data.safety import artifact_file

    return load_artifact(artifact_file(path, role))


def _read(artifact: dict[str, Any], path: str, role: str) -> Any:
    from scorecard.data import safety
    from scorecard.data.files import read_dataset
    from scorecard.jobs.batch import contract_for

    safety.data_file(path, role)
    return read_dataset(path, contract_for(artifact)).frame


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text} must be strictly between 0 and 1")
    return value


def _monitor(args: argparse.Namespace) -> int:
    from scorecard.data.safety import output_folder

    if bool(args.input) + bool(args.metrics) + bool(args.decision_log) != 1:
        raise UsageError("give one of --input FILE..., --metrics FILE_OR_URL or "
                         "--decision-log URL")
    if args.decision_log and args.period_column:
        raise UsageError("--decision-log splits by the time each decision was received: "
                         "--period month|quarter, no --period-column")
    if args.metrics_base and not args.metrics:
        raise UsageError("--metrics-base needs --metrics")
    if args.period and not args.period_column and not args.decision_log:
        raise UsageError("--period needs --period-column")
    if args.input and args.period_column and len(args.input) != 1:
        raise UsageError("--period-column splits one file; give exactly one --input")
    if args.metrics and args.outcomes:
        raise UsageError("--outcomes needs applicant rows (--input): metrics carry no outcomes")
    output_folder(args.out, ("monitoring.json", "monitoring.html"), "--out")
    artifact = _artifact(args.artifact)
    from scorecard.jobs import monitor as job

    if args.metrics:
        base = job.read_metrics(args.metrics_base) if args.metrics_base else None
        report = job.monitor_metrics(artifact, job.read_metrics(args.metrics), base)
    elif args.decision_log:
        from scorecard.data.decision_log import open_store
        from scorecard.jobs.batch import contract_for
        from scorecard.jobs.decisions import oversight
        from scorecard.jobs.decisions import periods as log_periods

        target = contract_for(artifact).target
        store = open_store(args.decision_log)
        split = log_periods(store, artifact, args.period or "month", target)
        report = job.monitor_frames(artifact, split, args.outcomes, target)
        # Beside the periods' figures, which stay exactly those of the same applicants'
        # file.
        report["oversight"] = oversight(store, artifact, [name for name, _ in split])
    else:
        if args.period_column:
            frame = _read(artifact, args.input[0], "--input")
            periods = job.split_periods(frame, args.period_column, args.period)
        else:
            stems = [Path(p).stem for p in args.input]
            if len(set(stems)) != len(stems):
                raise UsageError("--input: two files share a stem; the stem names the period")
            periods = [(s, _read(artifact, p, "--input")) for s, p in
                       zip(stems, args.input, strict=True)]
        from scorecard.jobs.batch import contract_for

        report = job.monitor_frames(artifact, periods, args.outcomes,
                                    contract_for(artifact).target)
    job.write_outputs(report, Path(args.out))
    for p in report["periods"]:
        state = "BREACH" if p["breaches"] else ("warning" if p["warnings"] else "ok")
        print(f"{p['name']}: {p['volume']} applicants, score PSI {p['score']['psi']:.4f}, "
              f"{state}" + (f" ({'; '.join(p['breaches'])})" if p["breaches"] else ""))
    seen = report.get("oversight")
    if seen is not None:
        rate = seen["override_rate"]
        print(f"oversight: {seen['decisions']} decisions, {seen['referred']} referred "
              f"({seen['referred_declines']} declines referred), {seen['overridden']} "
              f"overridden (override rate {'n/a' if rate is None else f'{rate:.2%}'}), "
              f"{seen['open_referrals']} referrals open")
    print(f"wrote {args.out}/monitoring.html and monitoring.json", file=sys.stderr)
    return EXIT_BREACHED if report["breached"] else EXIT_OK


def _recalibrate(args: argparse.Namespace) -> int:
    from scorecard.data.safety import output_file

    if (args.target_rate is None) == (not args.outcomes):
        raise UsageError("give exactly one of --target-rate R and --outcomes")
    output_file(args.output, "--output", [("--artifact", args.artifact), ("--data", args.data)])
    artifact = _artifact(args.artifact)
    frame = _read(artifact, args.data, "--data")
    from scorecard.card.artifact import dumps
    from scorecard.data.atomic import atomic_write_text
    from scorecard.jobs.batch import contract_for
    from scorecard.jobs.recalibrate import recalibrate
    from scorecard.jobs.regenerate import fingerprint

    card, summary = recalibrate(artifact, frame, target_rate=args.target_rate,
                                target=contract_for(artifact).target,
                                data_name=Path(args.data).name,
                                data_fingerprint=fingerprint(Path(args.data)))
    atomic_write_text(args.output, dumps(card))
    print(f"wrote {args.output}: {summary['model_id']} (parent {summary['parent_model_id']}); "
          f"mean pd {summary['mean_pd']['before']:.6f} -> {summary['mean_pd']['after']:.6f} "
          f"on {summary['data']['rows']} rows; offset {summary['offset']['before']:.4f} -> "
          f"{summary['offset']['after']:.4f} points; scores unchanged")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from scorecard.data.safety import output_folder

    if args.cutoff is not None and args.data is None:
        raise UsageError("--cutoff needs --data")
    if args.out:
        output_folder(args.out, ("diff.json", "migration.csv"), "--out")
    a = _artifact(args.card_a, "CARD_A")
    b = _artifact(args.card_b, "CARD_B")
    from scorecard.jobs import diff as job

    result: dict[str, Any] = {"structure": job.structure_diff(a, b)}
    if args.data:
        frame = _read(a, args.data, "--data")
        try:
            result["data"] = job.data_diff(a, b, frame, args.cutoff)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    sys.stdout.write(job.render_text(result))
    if args.out:
        import json

        from scorecard.data.atomic import atomic_write_text

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "diff.json", json.dumps(result, indent=1) + "\n")
        if result.get("data", {}).get("migration"):
            atomic_write_text(out / "migration.csv", job.migration_csv(result))
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``monitor``, ``recalibrate`` and ``diff`` to the ``scorecard`` parser."""
    p = sub.add_parser(
        "monitor", help="compare periods of applicants (or the live metrics) with the card's "
        "development sample; exit 5 when a threshold is breached",
        description="Per period: volume, score PSI, CSI of every characteristic, grade "
        "distribution and Herfindahl index, missing and unseen shares; with --outcomes "
        "AUC/Gini (DeLong) tested against development, default rate vs mean pd, per-grade "
        "tests, Brier. Writes monitoring.html and monitoring.json into --out. Exit 0 no "
        "threshold breached, 5 breached (red PSI/CSI >= 0.25, or a significant AUC drop or "
        "calibration gap), 3 bad data, 4 bad artifact.")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--input", type=non_empty, nargs="+", help="data files, one per period "
                   "(period = file stem), or one file with --period-column")
    p.add_argument("--period-column", type=non_empty, help="column of the contract whose "
                   "values name the periods")
    p.add_argument("--period", choices=("month", "quarter"), help="group a date column by "
                   "calendar month or quarter")
    p.add_argument("--outcomes", action="store_true", help="back-test on the labelled rows")
    p.add_argument("--metrics", type=non_empty, help="Prometheus snapshot file or /metrics URL "
                   "of the service")
    p.add_argument("--metrics-base", type=non_empty, help="an earlier snapshot: monitor the "
                   "applicants scored in between")
    p.add_argument("--decision-log", type=non_empty, metavar="URL", help="the service's "
                   "decision log: the card's applicants by --period of receipt (default "
                   "month); --outcomes uses the outcomes attached by `decisions outcomes`")
    p.add_argument("--out", type=non_empty, required=True, help="output folder")
    p.set_defaults(func=_monitor)

    p = sub.add_parser(
        "recalibrate", help="a new sealed card whose mean pd matches a new base rate, "
        "scores unchanged",
        description="Moves the scaling's base_odds (hence the offset of pd = f(score)) so the "
        "mean pd over --data equals --target-rate or the observed default rate "
        "(--outcomes); points, scores and ranking stay identical. Lineage in "
        "metadata.recalibration.")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--data", type=non_empty, required=True, help="recent data file")
    p.add_argument("--target-rate", type=_rate, help="base rate to match, in (0, 1)")
    p.add_argument("--outcomes", action="store_true", help="match the observed default rate "
                   "of the labelled rows of --data")
    p.add_argument("--output", type=non_empty, required=True, help="new card to write")
    p.set_defaults(func=_recalibrate)

    p = sub.add_parser(
        "diff", help="what changed between two cards; on data the swap set and grade "
        "migrations",
        description="Characteristics added/removed, bins, points, scaling; with --data the "
        "applicants accepted by one card and not the other at --cutoff (as for serve and "
        "explain: a score 600 accepts score >= 600, pd:0.05 accepts pd <= 0.05, grade:E "
        "accepts E or better; a bare E is read as grade:E) and the grade migration matrix. "
        "Text on stdout; --out writes diff.json and migration.csv.")
    p.add_argument("card_a", metavar="CARD_A", type=non_empty)
    p.add_argument("card_b", metavar="CARD_B", type=non_empty)
    p.add_argument("--data", type=non_empty, help="data file to compare decisions on")
    p.add_argument("--cutoff", type=non_empty,
                   help="cut-off: a score (600), a pd (pd:0.05) or a grade (grade:E)")
    p.add_argument("--out", type=non_empty, help="folder for diff.json and migration.csv")
    p.set_defaults(func=_diff)
