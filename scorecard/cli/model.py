"""Commands that fit and use the card: ``run``, ``regenerate``, ``predict``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scorecard.cli import EXIT_BAD_ARTIFACT, EXIT_OK
from scorecard.data.paths import DEFAULT_ARTIFACT, DEFAULT_DATA, DEFAULT_REPORTS


def _regenerate(args: argparse.Namespace) -> int:
    from scorecard.fit.spec import load_spec
    from scorecard.jobs.progress import Progress
    from scorecard.jobs.regenerate import RegenerateConfig, regenerate

    spec = load_spec(args.spec)
    data = Path(args.data) if args.data else DEFAULT_DATA
    progress = Progress(enabled=not args.quiet)
    if args.data is None and not data.exists():
        if spec.name != "klarna":
            print(f"error: --data is required for spec {spec.name!r}", file=sys.stderr)
            return 2
        _generate_default(data, progress)
    config = RegenerateConfig(seed=args.seed, challenger=not args.no_challenger)
    metrics = regenerate(spec, data, Path(args.out), Path(args.overrides) if args.overrides
                         else None, config, progress)
    progress.say("headline: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()
                                          if isinstance(v, float)))
    return EXIT_OK


def _generate_default(path: Path, progress: object) -> None:
    from scorecard.data.synthetic.generator import write_generated

    with progress.step(f"generating the default data set into {path}"):  # type: ignore[attr-defined]
        write_generated(path, rows=99_976, unlabelled=10_000, seed=0)


def _run(args: argparse.Namespace) -> int:
    """The main job: generate the default data, then regenerate card, report, predictions."""
    args.data = str(DEFAULT_DATA)
    from scorecard.jobs.progress import Progress

    progress = Progress()
    if args.fresh or not DEFAULT_DATA.exists():
        _generate_default(DEFAULT_DATA, progress)
    args.spec, args.out, args.overrides = "klarna", str(DEFAULT_REPORTS), None
    args.no_challenger = False
    return _regenerate(args)


def _predict(args: argparse.Namespace) -> int:
    from scorecard.card.artifact import ArtifactError, load_artifact
    from scorecard.card.engine import ScoringEngine
    from scorecard.data.files import read_dataset
    from scorecard.fit.spec import load_spec
    from scorecard.jobs.outputs import write_csv
    from scorecard.jobs.predict import predictions_frame

    try:
        artifact = load_artifact(args.artifact)
    except ArtifactError as exc:
        print(f"error: invalid model artifact: {exc}", file=sys.stderr)
        return EXIT_BAD_ARTIFACT
    spec = load_spec(artifact["spec"]["name"]) if args.spec is None else load_spec(args.spec)
    dataset = read_dataset(args.input, spec.contract)
    engine = ScoringEngine(artifact)
    frame = predictions_frame(engine, dataset, dataset.frame, with_details=True, top=args.top)
    write_csv(frame, args.output)
    print(f"scored {len(frame)} rows with {artifact['model_id']} into {args.output}",
          file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="main job: generate the default data, regenerate the card, "
                       "report and predictions into reports/",
                       description="Generate the embedded default data (data/dataset.csv, "
                       "seed 0) if missing, then run `regenerate` into reports/.")
    p.add_argument("--fresh", action="store_true", help="regenerate the data even if present")
    p.add_argument("--seed", type=int, default=0, help="split and model seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_run)

    p = sub.add_parser("regenerate", help="fit the card and write artifact, binning tables, "
                       "coefficients, selection log, validation report and predictions",
                       description="Fit the scorecard on a data file and write, "
                       "deterministically, everything a reviewer needs into --out.")
    p.add_argument("--spec", default="klarna",
                   help="klarna, heloc, or a JSON spec file (default klarna)")
    p.add_argument("--data", help="data file (default: the generated data/dataset.csv, "
                   "generated first if missing)")
    p.add_argument("--out", default=str(DEFAULT_REPORTS), help="output folder (default reports/)")
    p.add_argument("--overrides", help="binning overrides TOML (default: the spec's built-in "
                   "scorecard/overrides/<spec>.toml)")
    p.add_argument("--seed", type=int, default=0, help="split and model seed (default 0)")
    p.add_argument("--no-challenger", action="store_true",
                   help="skip the gradient-boosted challenger (faster)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_regenerate)

    p = sub.add_parser("predict", help="score a data file with a published card",
                       description="Score every row of a contract-valid file from the JSON "
                       "artifact: id, pd, score and reason codes, rows in input order.")
    p.add_argument("--artifact", default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--input", required=True, help="data file in the spec's format")
    p.add_argument("--output", required=True, help="CSV to write")
    p.add_argument("--spec", help="override the spec named in the artifact")
    p.add_argument("--top", type=int, default=4, help="reason codes per row (default 4)")
    p.set_defaults(func=_predict)
