"""Commands that fit and use the card: ``run``, ``regenerate``, ``predict``.

Every path is checked with :mod:`scorecard.data.safety` before anything is read or written;
errors are raised and turned into one line and an exit code by :func:`scorecard.cli.main`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scorecard.cli import (
    EXIT_OK,
    SPEC_FILE_LIMIT,
    UsageError,
    check_spec_file,
    non_empty,
    non_negative_int,
    seed_int,
)
from scorecard.data.paths import DEFAULT_ARTIFACT, DEFAULT_DATA, DEFAULT_REPORTS

# What `regenerate` writes into --out (binning/<feature>.csv besides): checked up front so
# that no input is overwritten and no link, device or folder stands where a file goes.
OUTPUT_FILES = ("scorecard.json", "binning_tables.xlsx", "coefficients.csv",
                "selection_log.csv", "predictions.csv", "metrics.json", "MODEL.md",
                "validation.html")
def _regenerate(args: argparse.Namespace) -> int:
    from scorecard.data import safety
    from scorecard.fit.spec import load_spec
    from scorecard.jobs.progress import Progress

    check_spec_file(args.spec)
    spec = load_spec(args.spec)
    data = Path(args.data) if args.data else DEFAULT_DATA
    overrides = Path(args.overrides) if args.overrides else None
    out = Path(args.out)
    progress = Progress(enabled=not args.quiet)
    if args.data is None and not data.exists():
        if spec.name != "klarna":
            raise UsageError(f"--data is required for spec {spec.name!r}")
        _generate_default(data, progress)
    safety.data_file(data, "--data")
    protect: list[safety.Protected] = [("--data", data)]
    if overrides is not None:
        from scorecard.fit.overrides import load_overrides

        safety.input_file(overrides, "--overrides", SPEC_FILE_LIMIT)
        load_overrides(overrides)  # read now: its mistakes must not wait for the data's
        protect.append(("--overrides", overrides))
    if args.spec not in ("klarna", "heloc"):
        protect.append(("--spec", args.spec))
    binning = [f"binning/{p.name}" for p in (out / "binning").glob("*.csv")]
    safety.output_folder(out, (*OUTPUT_FILES, *binning), "--out", protect)
    if (out / "binning").exists():
        safety.output_folder(out / "binning", (), "--out")
    # Imported once the arguments are known to be usable: it loads the training stack.
    from scorecard.jobs.regenerate import RegenerateConfig, regenerate

    config = RegenerateConfig(seed=args.seed, challenger=not args.no_challenger)
    metrics = regenerate(spec, data, out, overrides, config, progress)
    print(summary(metrics, out))  # the result, on stdout; progress lines went to stderr
    return EXIT_OK


def summary(metrics: dict[str, Any], out: Path) -> str:
    """A few lines a person reads after a run: holdout AUCs (the card's with its 95 % CI
    from ``metrics.json``), where the files are, and how to serve the card."""
    import json

    report: dict[str, Any] = {}
    try:
        report = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
        hold = report["models"]["scorecard"]["holdout"]
        ci = f"  (95 % CI {hold['auc_ci_low']:.4f}-{hold['auc_ci_high']:.4f})"
    except (OSError, ValueError, KeyError, TypeError):
        ci = ""  # the summary is a courtesy: a missing CI must not fail a finished run

    def auc(name: str) -> str:
        value = metrics.get(f"{name}_holdout_auc")
        return "n/a" if value is None else f"{value:.4f}"

    where = out.resolve()
    lines = [f"done: {report.get('model_id', 'the card')} in {where}",
             f"  card holdout AUC        {auc('scorecard')}{ci}"]
    if "challenger_holdout_auc" in metrics:
        lines.append(f"  challenger holdout AUC  {auc('challenger')}  (gradient boosting; "
                     f"monotone {auc('challenger_monotone')})")
    if "oracle_holdout_auc" in metrics:
        lines.append(f"  oracle holdout AUC      {auc('oracle')}  (the generator's true pd)")
    artifact = where / "scorecard.json"
    serve = ("scorecard serve" if artifact == DEFAULT_ARTIFACT.resolve()
             else f"scorecard serve --artifact {artifact}")
    lines += ["files: scorecard.json (the card), validation.html and MODEL.md (the report), "
              "predictions.csv",
              f"serve it: {serve}"]
    return "\n".join(lines)


def _generate_default(path: Path, progress: Any) -> None:
    from scorecard.data.safety import output_file
    from scorecard.data.synthetic.generator import truth_path, write_generated

    output_file(path, "data")
    output_file(truth_path(path), "data")
    with progress.step(f"generating the default data set into {path}"):
        write_generated(path, rows=99_976, unlabelled=10_000, seed=0)


def _run(args: argparse.Namespace) -> int:
    """The main job: generate the default data, then regenerate card, report, predictions."""
    from scorecard.jobs.progress import Progress

    progress = Progress(enabled=not args.quiet)
    if args.fresh or not DEFAULT_DATA.exists():
        _generate_default(DEFAULT_DATA, progress)
    args.spec, args.data, args.out, args.overrides = "klarna", str(DEFAULT_DATA), \
        str(DEFAULT_REPORTS), None
    args.no_challenger = False
    return _regenerate(args)


def _predict(args: argparse.Namespace) -> int:
    from scorecard.card.artifact import load_artifact
    from scorecard.data import safety
    safety.artifact_file(args.artifact)
    safety.input_file(args.input, "--input", kind="data")
    safety.data_file(args.input, in_memory=False)  # streamed: bounded by the chunk size
    safety.output_file(args.output, "--output",
                       [("--input", args.input), ("--artifact", args.artifact)])
    artifact = load_artifact(args.artifact)
    n_features = len(artifact["features"])
    if args.top > n_features:
        raise UsageError(f"--top {args.top}: the card has only {n_features} "
                         "characteristics to give reasons from")
    if args.spec is not None:
        check_spec_file(args.spec)
    from scorecard.card.artifact import master_scale
    from scorecard.card.decisions import PolicyError, make_policy

    if args.refer_band and not args.cutoff:
        raise UsageError("--refer-band needs --cutoff")
    try:
        policy = make_policy(args.cutoff, args.refer_band, artifact, master_scale(artifact))
    except PolicyError as exc:
        raise UsageError(f"--cutoff: {exc}") from None

    from scorecard.card.artifact import file_contract
    from scorecard.card.engine import ScoringEngine
    from scorecard.data.chunks import read_chunks
    from scorecard.jobs.outputs import write_csv_frames
    from scorecard.jobs.predict import predictions_table

    engine = ScoringEngine(artifact)
    if args.spec is not None:
        from scorecard.fit.spec import load_spec

        contract = load_spec(args.spec).contract
        lacking = [c for c in engine.columns_ if c not in contract.names]
        if lacking:
            raise UsageError(f"--spec {args.spec}: its contract lacks the column(s) the "
                             f"card reads: {', '.join(lacking[:5])}")
    else:
        contract = file_contract(artifact)  # the card's own contract: no spec file needed
    # Bounded memory: chunk by chunk into a temporary file, published at the end.
    tables = (predictions_table(engine, block, contract, top=args.top)
              for block in read_chunks(args.input, contract))
    if policy is not None:  # accept / refer / decline after the reasons
        from scorecard.data.arrays import texts, to_numpy

        tables = (table.append_column("decision", texts(policy.decide_many(
            to_numpy(table.column("score").combine_chunks())).tolist())) for table in tables)
    rows = write_csv_frames(tables, args.output)
    print(f"scored {rows} rows with {artifact['model_id']} into {args.output}",
          file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the model subcommands to the ``scorecard`` parser."""
    p = sub.add_parser("run", help="main job: generate the default data, regenerate the card, "
                       "report and predictions into reports/",
                       description="Generate the embedded default data (data/dataset.csv, "
                       "seed 0) if missing, then run `regenerate` into reports/ and print "
                       "a short summary (holdout AUCs, where the files are, how to serve).")
    p.add_argument("--fresh", action="store_true", help="regenerate the data even if present")
    p.add_argument("--seed", type=seed_int, default=0, help="split and model seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_run)

    p = sub.add_parser("regenerate", help="fit the card and write artifact, binning tables, "
                       "coefficients, selection log, validation report and predictions",
                       description="Fit the scorecard on a data file and write, "
                       "deterministically, everything a reviewer needs into --out.")
    p.add_argument("--spec", type=non_empty, default="klarna",
                   help="klarna, heloc, or a JSON spec file (default klarna)")
    p.add_argument("--data", type=non_empty, help="data file (default: the generated "
                   "data/dataset.csv, generated first if missing)")
    p.add_argument("--out", type=non_empty, default=str(DEFAULT_REPORTS),
                   help="output folder (default reports/)")
    p.add_argument("--overrides", type=non_empty, help="binning overrides TOML (default: the "
                   "spec's built-in scorecard/fit/overrides/<spec>.toml)")
    p.add_argument("--seed", type=seed_int, default=0, help="split and model seed (default 0)")
    p.add_argument("--no-challenger", action="store_true",
                   help="skip the gradient-boosted challenger (faster)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_regenerate)

    p = sub.add_parser("predict", help="score a data file with a published card",
                       description="Score every row of a contract-valid file from the JSON "
                       "artifact: id, pd, score and reason codes, rows in input order. The "
                       "output may not be the input or the artifact.")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--input", type=non_empty, required=True, help="data file in the spec's "
                   "format")
    p.add_argument("--output", type=non_empty, required=True, help="CSV to write")
    p.add_argument("--spec", type=non_empty, help="override the spec named in the artifact")
    p.add_argument("--top", type=non_negative_int, default=4,
                   help="reason codes per row (default 4)")
    p.add_argument("--cutoff", help="decision policy: a score (600), a pd (pd:0.05) or a "
                   "grade (grade:E) accepted at or better; adds a `decision` column "
                   "(accept/refer/decline)")
    p.add_argument("--refer-band", type=non_negative_int, default=0,
                   help="points below --cutoff that are referred, not declined (default 0)")
    p.set_defaults(func=_predict)
