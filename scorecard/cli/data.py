"""Data commands: ``generate-data``, ``check``, ``oracle``, ``realism``.

Exit codes follow :mod:`scorecard.cli`: 0 success, 2 a bad argument or path (checked with
:mod:`scorecard.data.safety` before anything is read or written), 3 a file breaks the data
contract (:class:`scorecard.data.errors.ContractError`, mapped by ``main``).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from scorecard.cli import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    check_spec_file,
    non_negative_int,
    positive_int,
    seed_int,
)
from scorecard.data.paths import DEFAULT_DATA, REAL_KLARNA


def _generate(args: argparse.Namespace) -> int:
    from scorecard.data.safety import output_file

    if args.unlabelled > args.rows:
        raise UsageError(f"--unlabelled {args.unlabelled:,} is more than --rows {args.rows:,}")
    output_file(args.output, "--output")

    # Checked first, imported after: a mistake is reported without loading pandas and scipy.
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import write_dataset
    from scorecard.data.synthetic.generator import generate, truth_path, write_truth
    from scorecard.jobs.progress import Progress

    output_file(truth_path(args.output), "--output (its truth file)")
    if args.drift and not args.periods:
        raise UsageError("--drift needs --periods N")
    if (args.groups or args.disparity) and args.periods:
        raise UsageError("--groups and --disparity write one data file; leave out --periods")
    _check_truth(args.truth)
    if args.truth != "default" and args.periods:
        raise UsageError("--truth writes one data file; leave out --periods")
    from scorecard.data.synthetic.generator import metadata_path, write_metadata

    if args.truth != "default":
        output_file(metadata_path(args.output), "--output (its truth metadata)")
    disparity = None
    if args.disparity:
        from scorecard.data.synthetic.disparity import Disparity

        try:
            disparity = Disparity.parse(args.disparity)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    if args.periods:
        return _generate_periods(args)
    progress = Progress(enabled=not args.quiet)
    with progress.step(f"generating {args.rows:,} rows ({args.unlabelled:,} to predict, "
                       f"seed {args.seed}, truth {args.truth})"):
        frame, pd_true = generate(args.rows, args.unlabelled, args.seed, truth=args.truth)
    if args.groups or disparity:
        from scorecard.data.synthetic import disparity as planted

        gpath = planted.groups_path(args.output)
        output_file(gpath, "--output (its groups file)")
        groups = planted.assign_groups(len(frame), args.seed)
        if disparity:
            frame = planted.plant(frame, groups, disparity)
        planted.write_groups(gpath, frame["uuid"], groups)
        print(f"wrote {gpath}: group B {int((groups == 'B').sum()):,} rows"
              + (f", {disparity.column} x {disparity.factor:g} in group B at equal true risk"
                 if disparity else ", no disparity"))
    with progress.step(f"writing {args.output}"):
        write_dataset(frame, args.output, KLARNA)
    tpath = truth_path(args.output)
    with progress.step(f"writing {tpath}"):
        write_truth(tpath, frame["uuid"], pd_true)
    if args.truth != "default":
        write_metadata(metadata_path(args.output), args.truth)
        print(f"wrote {metadata_path(args.output)}: the {args.truth} truth's planted pairs")
    labelled = frame["default"].notna()
    rate = float(frame.loc[labelled, "default"].mean()) if labelled.any() else float("nan")
    print(f"wrote {args.output}: {len(frame):,} rows ({int(labelled.sum()):,} labelled, "
          f"default rate {100 * rate:.2f} %, {int((~labelled).sum()):,} to predict); "
          f"truth in {tpath}")
    return EXIT_OK


def _check_truth(name: str) -> None:
    from scorecard.data.synthetic.truth import TRUTHS

    if name not in TRUTHS:
        raise UsageError(f"--truth {name!r}: must be one of {', '.join(TRUTHS)}")


def _generate_periods(args: argparse.Namespace) -> int:
    """``--periods N``: one file per period, ``<stem>.pNN<suffix>``, each with its truth."""
    from scorecard.data.safety import output_file
    from scorecard.data.synthetic.drift import Drift

    try:
        drifts = [Drift.parse(d, args.periods) for d in args.drift]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    out = Path(args.output)
    paths = [out.with_name(f"{out.stem}.p{k:02d}{out.suffix}")
             for k in range(1, args.periods + 1)]
    from scorecard.data.synthetic.generator import truth_path

    for p in paths:
        output_file(p, "--output (a period file)")
        output_file(truth_path(p), "--output (a period's truth file)")
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import write_dataset
    from scorecard.data.synthetic.drift import generate_period
    from scorecard.data.synthetic.generator import write_truth

    for k, path in enumerate(paths, start=1):
        frame, pd_true = generate_period(k, args.rows, args.unlabelled, args.seed, drifts)
        write_dataset(frame, path, KLARNA)
        write_truth(truth_path(path), frame["uuid"], pd_true)
        active = [d for d in args.drift if int(d.rsplit("@", 1)[1]) <= k]
        print(f"wrote {path}: {len(frame):,} rows, default rate "
              f"{100 * float(frame['default'].mean()):.2f} %"
              + (f", drift {', '.join(active)}" if active else ", no drift"))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from scorecard.data import safety

    safety.input_file(args.file, "", kind="data")
    stream = not args.require_labelled  # training's two-class check needs the whole file
    safety.data_file(args.file, "", in_memory=not stream)
    check_spec_file(args.spec)
    from scorecard.fit.spec import load_spec

    spec = load_spec(args.spec)
    contract = spec.contract
    implausible = Implausible(spec.plausible)
    if stream:  # bounded memory: every chunk checked, every problem reported at the end
        from scorecard.data.chunks import read_chunks

        n = n_lab = 0
        for block in read_chunks(args.file, contract):
            n += len(block)
            n_lab += block.labelled(contract)
            implausible.add(block)
        n_pred = n - n_lab
    else:
        from scorecard.data.files import read_dataset

        dataset = read_dataset(args.file, contract, require_labelled=args.require_labelled)
        n, n_lab, n_pred = len(dataset.frame), len(dataset.labelled), len(dataset.to_predict)
        implausible.add(dataset.frame)
    print(f"valid: {n} rows ({n_lab} labelled, {n_pred} to predict)")
    for line in implausible.lines():
        print(line)
    return EXIT_OK


class Implausible:
    """Rows outside the spec's ``plausible`` ranges, counted column by column over the
    blocks (or frame) of a file: flagged, not refused (a hard limit is the contract's)."""

    def __init__(self, ranges: dict[str, tuple[float | None, float | None]]) -> None:
        self.ranges = ranges
        self.counts = {name: [0, 0, math.inf, -math.inf] for name in ranges}

    def add(self, columns: Any) -> None:
        import numpy as np

        for name, (low, high) in self.ranges.items():
            x = np.asarray(columns[name], dtype=float)
            x = x[~np.isnan(x)]
            if not len(x):
                continue
            c = self.counts[name]
            c[0] += int((x < low).sum()) if low is not None else 0
            c[1] += int((x > high).sum()) if high is not None else 0
            c[2], c[3] = min(c[2], float(x.min())), max(c[3], float(x.max()))

    def lines(self) -> list[str]:
        out = []
        for name, (below, above, lo, hi) in self.counts.items():
            low, high = self.ranges[name]
            parts = ([f"{above} row(s) above {high:g} (max {hi:g})"] if above else []) + (
                [f"{below} row(s) below {low:g} (min {lo:g})"] if below else [])
            if parts:
                out.append(f"implausible: column '{name}': {'; '.join(parts)} (outside the "
                           "spec's plausible range: counted, not refused)")
        return out


def _oracle(args: argparse.Namespace) -> int:
    from scorecard.data import safety

    safety.data_file(args.input)
    safety.output_file(args.output, "--output", [("--input", args.input)])
    _check_truth(args.truth)
    from scorecard.data.files import read_dataset
    from scorecard.data.synthetic.generator import write_truth
    from scorecard.data.synthetic.truth import true_pd

    dataset = read_dataset(args.input)
    pd_true = true_pd(dataset.frame, truth=args.truth)
    write_truth(args.output, dataset.frame["uuid"], pd_true)
    print(f"wrote {args.output}: true pd of {len(pd_true):,} rows "
          f"(mean {pd_true.mean():.4f})")
    return EXIT_OK


def _realism(args: argparse.Namespace) -> int:
    from scorecard.data import safety
    from scorecard.data.files import read_dataset
    from scorecard.data.synthetic.realism import format_table, realism_summary, realism_table

    if not args.real.exists():
        print(f"realism: real data not available at {args.real}; skipped")
        return EXIT_OK
    safety.data_file(args.real, "--real")
    if args.data is not None:
        safety.data_file(args.data, "--data")
        generated = read_dataset(args.data).frame
        label = str(args.data)
    else:
        from scorecard.data.synthetic.generator import generate

        generated, _ = generate(seed=args.seed)
        label = f"freshly generated default-size data (seed {args.seed})"
    real = read_dataset(args.real).frame
    table = realism_table(generated, real)
    print(f"generated: {label} ({len(generated):,} rows); real: {args.real} "
          f"({len(real):,} rows)\n")
    print(format_table(table))
    print()
    print(realism_summary(table, worst=args.worst))
    if args.strict and not table["passed"].all():
        return EXIT_FAILURE
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the data subcommands to the ``scorecard`` parser."""
    fmt = argparse.ArgumentDefaultsHelpFormatter

    p = sub.add_parser(
        "generate-data", formatter_class=fmt,
        help="generate a synthetic Klarna dataset.csv and its true pd",
        description="Generate synthetic rows in the exact format of the case's dataset.csv "
                    "(semicolon-separated, NA for missing) and write <stem>.truth.csv "
                    "(uuid,true_pd) beside it. The same seed gives byte-identical files.")
    p.add_argument("--output", type=Path, default=DEFAULT_DATA, help="data file to write")
    p.add_argument("--rows", type=positive_int, default=99_976, help="total rows")
    p.add_argument("--unlabelled", type=non_negative_int, default=10_000,
                   help="rows with default = NA (the rows to predict), at random positions")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--periods", type=positive_int, help="write N period files "
                   "<stem>.p01<suffix>..., --rows each (for monitoring tests)")
    p.add_argument("--drift", action="append", default=[], metavar="KIND@PERIOD",
                   help="with --periods: shift:<column>[=s]@P (population shift of a "
                   "characteristic) or risk[=r]@P (odds of default times r), from period P "
                   "on; repeatable")
    p.add_argument("--groups", action="store_true", help="also write <stem>.groups.csv "
                   "(uuid,group): a random group A/B, for fairness tests")
    p.add_argument("--disparity", nargs="?", const="num_arch_ok_0_12m=0",
                   metavar="COLUMN[=FACTOR]", help="plant a disparity: COLUMN times FACTOR "
                   "for group B at equal true risk (implies --groups; default "
                   "num_arch_ok_0_12m=0: no clean invoices on record)")
    p.add_argument("--truth", default="default",
                   help="the risk surface that draws the labels: default, or interactions "
                   "(three planted pairwise terms, stated in <stem>.truth.json)")
    p.set_defaults(func=_generate)

    p = sub.add_parser(
        "check", aliases=["validate"], formatter_class=fmt,
        help="check a data file against its column contract (former name: validate)",
        description="Read FILE and check every rule of the contract (columns, types, ranges, "
                    "category sets, unique ids). Prints 'valid: N rows (L labelled, U to "
                    "predict)', or the list of violations (rule, column, 1-based data rows) "
                    "and exits with 3.")
    p.add_argument("file", type=Path, help="data file (e.g. dataset.csv)")
    p.add_argument("--spec", default="klarna",
                   help="which contract the file must satisfy: klarna, heloc or a JSON spec "
                   "file (default klarna)")
    p.add_argument("--require-labelled", action="store_true",
                   help="also require labelled rows of both classes (as training does)")
    p.set_defaults(func=_check)

    p = sub.add_parser(
        "oracle", formatter_class=fmt,
        help="write the ground-truth pd of every row of a Klarna file",
        description="Evaluate the documented ground-truth risk surface "
                    "(scorecard.data.synthetic.truth) on every row of a contract-valid Klarna "
                    "file (generated or real) and write uuid,true_pd.")
    p.add_argument("--input", type=Path, required=True, help="Klarna data file")
    p.add_argument("--output", type=Path, required=True, help="CSV to write (uuid,true_pd)")
    p.add_argument("--truth", default="default",
                   help="which risk surface (as generate-data --truth)")
    p.set_defaults(func=_oracle)

    p = sub.add_parser(
        "realism", formatter_class=fmt,
        help="compare generated data with the real rows, column by column",
        description="Per column: missing rate real vs generated, KS statistic (numeric) or "
                    "total-variation distance (codes, categories, booleans), pass/fail. "
                    "Skips with a message (exit 0) when the real file is absent.")
    p.add_argument("--data", type=Path, default=None,
                   help="generated data file (default: generate default-size data in memory)")
    p.add_argument("--real", type=Path, default=REAL_KLARNA, help="real rows to compare with")
    p.add_argument("--seed", type=seed_int, default=0,
                   help="seed when generating in memory (no --data)")
    p.add_argument("--worst", type=positive_int, default=5,
                   help="columns listed in the summary")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when any column fails its threshold")
    p.set_defaults(func=_realism)

