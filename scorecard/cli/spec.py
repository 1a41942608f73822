"""``scorecard init-spec``: propose a spec for any credit CSV, with a review list."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scorecard.cli import (
    EXIT_OK,
    UsageError,
    non_empty,
    non_negative_int,
    positive_int,
    seed_int,
)


def _init_spec(args: argparse.Namespace) -> int:
    from scorecard.data import safety

    safety.data_file(args.data, "")
    output = Path(args.output) if args.output else Path(f"{Path(args.data).stem}.spec.json")
    safety.output_file(output, "--output", [("the data file", args.data)])
    from scorecard.data.atomic import atomic_write_text
    from scorecard.fit.spec_inference import infer_spec

    inferred = infer_spec(args.data, target=args.target, id_column=args.id, name=args.name)
    atomic_write_text(output, json.dumps(inferred.spec, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote the spec {output}; what was inferred and why:", file=sys.stderr)
    for line in inferred.review:
        print(f"  {line}", file=sys.stderr)
    print("confirm before publishing a card:", file=sys.stderr)
    for line in inferred.confirm:
        print(f"  [ ] {line}", file=sys.stderr)
    print(f"next: scorecard regenerate --spec {output} --data {args.data} --out DIR",
          file=sys.stderr)
    return EXIT_OK


def _example_data(args: argparse.Namespace) -> int:
    from scorecard.data import safety

    if args.unlabelled > args.rows:
        raise UsageError(f"--unlabelled {args.unlabelled} exceeds --rows {args.rows}")
    safety.output_file(args.output, "--output")
    from scorecard.data.synthetic.example import write_example

    path = write_example(args.output, args.rows, args.unlabelled, args.seed)
    print(f"wrote {path}: {args.rows} rows, the last {args.unlabelled} without a target",
          file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init-spec", help="infer a spec (contract, special codes, trends) from "
                       "a credit CSV",
                       description="Read a delimited credit data file, infer every column's "
                       "kind, the target, the id, special codes and clear monotone trends, "
                       "and write a spec file for `regenerate --spec`, with a review list.")
    p.add_argument("data", type=non_empty,
                   help="the data file (CSV, any of , ; TAB | separators)")
    p.add_argument("--target", help="the binary target column (default: the one two-valued "
                   "column named like a target, or the only two-valued column; several "
                   "candidates are refused)")
    p.add_argument("--id", help="the id column (default: found by name, or none)")
    p.add_argument("--name", help="spec name (default: the file's stem)")
    p.add_argument("--output", type=non_empty,
                   help="spec file to write (default: <data stem>.spec.json)")
    p.set_defaults(func=_init_spec)

    p = sub.add_parser("example-data", help="write a small credit CSV in a non-Klarna shape "
                       "(the `init-spec` example)",
                       description="Comma separated, integer-coded categories, sentinel "
                       "codes, a dotted target name: a file to try `init-spec` on.")
    p.add_argument("--output", type=non_empty, required=True, help="CSV file to write")
    p.add_argument("--rows", type=positive_int, default=5_000, help="rows (default 5000)")
    p.add_argument("--unlabelled", type=non_negative_int, default=500,
                   help="rows at the end without a target (default 500)")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_example_data)
