"""``scorecard fairness``: fair-lending tests of a card (see :mod:`scorecard.jobs.fairness`).

Exit codes follow :mod:`scorecard.cli`; 5 (as ``monitor``) when a group is flagged for
adverse impact, with the files written either way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorecard.cli import EXIT_OK, UsageError, non_empty, positive_int
from scorecard.data.paths import DEFAULT_ARTIFACT

EXIT_FLAGGED = 5  # the value of scorecard.cli.monitor.EXIT_BREACHED: one alarm code


def _fairness(args: argparse.Namespace) -> int:
    from scorecard.data import safety

    safety.output_folder(args.out, ("fairness.json", "fairness.html"), "--out")
    from scorecard.card.artifact import load_artifact
    from scorecard.card.decisions import PolicyError
    from scorecard.data.files import read_dataset
    from scorecard.jobs import fairness as job
    from scorecard.jobs.batch import contract_for
    from scorecard.jobs.progress import Progress

    artifact = load_artifact(safety.artifact_file(args.artifact, "--artifact"))
    safety.data_file(args.input, "--input")
    contract = contract_for(artifact)
    dataset = read_dataset(args.input, contract)
    frame = dataset.frame.reset_index(drop=True)
    ids = dataset.ids(frame).reset_index(drop=True)
    try:
        refs = job.parse_references(args.reference)
        report = job.fairness_report(
            artifact, frame, ids, args.groups, args.cutoff, refs, contract.target,
            min_rows=args.min_rows, refit=args.refit, input_name=Path(args.input).name,
            progress=Progress(enabled=not args.quiet))
    except PolicyError as exc:
        raise UsageError(f"--cutoff: {exc}") from exc
    job.write_outputs(report, Path(args.out))
    for col in report["columns"]:
        tested = [g for g in col["groups"] if g["tested"]]
        print(f"{col['column']}: {len(col['groups'])} groups, reference "
              f"{col['reference']}, " + ", ".join(
                  f"{g['group']} AIR {g['air']['ratio']:.2f}" if g["air"]["ratio"] is not None
                  else f"{g['group']} AIR -" for g in tested)
              + (f"; FLAGGED {', '.join(col['flagged'])}" if col["flagged"] else ""))
    for line in report["flags"]:
        print(f"flag: {line}")
    for line in report["warnings"] + report["notes"]:
        print(f"note: {line}", file=sys.stderr)
    print(f"wrote {args.out}/fairness.html and fairness.json", file=sys.stderr)
    return EXIT_FLAGGED if report["flagged"] else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``fairness`` to the ``scorecard`` parser."""
    p = sub.add_parser(
        "fairness", help="fair-lending tests per group: adverse impact at the cut-off, "
        "score gaps, per-group AUC and calibration; exit 5 when a group is flagged",
        description="Per group of each group column: count, approval rate at the cut-off and "
        "its ratio to the reference group (adverse impact ratio, flagged below 0.80 when a "
        "one-sided two-proportion z-test rejects equal rates at 0.05), standardised mean "
        "score difference, AUC (DeLong) and mean pd vs default rate (Jeffreys) where "
        "outcomes exist, the most frequent first reasons; for a flagged group the "
        "characteristics whose points differ most and the AUC cost of dropping each "
        "(refit on the development rows). Writes fairness.html and fairness.json. Exit 0 "
        "nothing flagged, 5 flagged, 2 usage, 3 bad data, 4 bad artifact.")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--input", type=non_empty, required=True, help="applicant rows (the "
                   "card's file format); labelled rows add AUC and calibration")
    p.add_argument("--groups", type=non_empty, help="a groups file joined by the card's id "
                   "column (every other column a group column), or comma-separated columns "
                   "of the input (an age column is cut into bands); default: the spec's "
                   "protected attributes")
    p.add_argument("--cutoff", type=non_empty, help="a score (600), pd:0.05 or grade:E "
                   "(default: the development sample's lowest score decile is declined)")
    p.add_argument("--reference", action="append", metavar="GROUP_COLUMN=VALUE",
                   help="the reference group of a column (default: its group with the "
                   "highest approval rate); repeatable")
    p.add_argument("--min-rows", type=positive_int, default=50, help="groups with fewer "
                   "rows are reported, not tested (default 50)")
    p.add_argument("--refit", type=int, default=3, choices=range(0, 11), metavar="K",
                   help="for a flagged group, refit the card without each of its K "
                   "characteristics with the largest point loss (0-10, default 3; 0 skips)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--out", type=non_empty, required=True, help="output folder")
    p.set_defaults(func=_fairness)
