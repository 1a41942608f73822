"""Commands that take the card beyond one machine's memory: ``export-sql`` and ``score``."""

from __future__ import annotations

import argparse
import sys

from scorecard.cli import EXIT_BAD_ARTIFACT, EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from scorecard.data.paths import DEFAULT_ARTIFACT


def _load(path: str) -> dict | None:
    from scorecard.card.artifact import ArtifactError, load_artifact

    try:
        return load_artifact(path)
    except ArtifactError as exc:
        print(f"error: invalid model artifact: {exc}", file=sys.stderr)
        return None


def _export_sql(args: argparse.Namespace) -> int:
    from scorecard.card.sql import SqlExportError, card_sql
    from scorecard.data.atomic import atomic_write_text

    artifact = _load(args.artifact)
    if artifact is None:
        return EXIT_BAD_ARTIFACT
    try:
        text = card_sql(artifact, args.table)
    except SqlExportError as exc:
        print(f"error: cannot export the card as portable SQL: {exc}", file=sys.stderr)
        return EXIT_BAD_ARTIFACT
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote the SQL of {artifact['model_id']} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    from scorecard.card.sql import SqlExportError
    from scorecard.jobs import batch as scale

    artifact = _load(args.artifact)
    if artifact is None:
        return EXIT_BAD_ARTIFACT
    try:
        contract = scale.contract_for(artifact, args.spec)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    common = {"contract": contract, "input_format": args.input_format}
    try:
        if args.engine == "duckdb":
            run = scale.score_duckdb(artifact, args.input, args.output, **common,
                                     memory_limit=args.memory_limit, threads=args.threads,
                                     temp_directory=args.temp_directory)
        elif args.engine == "spark":
            try:
                import pyspark  # noqa: F401
            except ImportError:
                print("error: the spark engine needs pyspark (pip install pyspark) and Java "
                      "17+", file=sys.stderr)
                return EXIT_FAILURE
            run = scale.score_spark(artifact, args.input, args.output, **common,
                                    master=args.spark_master,
                                    driver_memory=args.spark_driver_memory,
                                    temp_directory=args.temp_directory,
                                    java_options=scale.QUICK_JVM if args.spark_quick_start
                                    else None)
        else:
            run = scale.score_numpy(artifact, args.input, args.output, **common)
    except SqlExportError as exc:
        print(f"error: cannot run the card as SQL: {exc}", file=sys.stderr)
        return EXIT_BAD_ARTIFACT
    rate = run.rows / run.seconds if run.seconds > 0 else float("nan")
    print(f"scored {run.rows} rows with {artifact['model_id']} ({run.engine}) in "
          f"{run.seconds:.1f} s ({rate:,.0f} rows/s) into {run.output}", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-sql", help="write the card as one portable SQL SELECT",
                       description="Write the card as one SQL query (DuckDB and Spark SQL) "
                       "returning the id, pts_<characteristic>, score and pd of every row of "
                       "a table. Numeric splits are exact double literals; the header names "
                       "the model id and content hash.")
    p.add_argument("--artifact", default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--table", default="applicants",
                   help="table (or relation) the query reads (default applicants)")
    p.add_argument("--output", help="file to write (default: standard output)")
    p.set_defaults(func=_export_sql)

    p = sub.add_parser("score", help="score files larger than memory (DuckDB, Spark or numpy)",
                       description="Score CSV files in the contract's format or Parquet "
                       "files (globs allowed) into one CSV or Parquet file (by extension) "
                       "with the columns uuid, pd, score in input order. duckdb streams with "
                       "a memory limit; spark runs the same SQL in pyspark; numpy is the "
                       "reference engine (CSV inputs fully validated against the contract).")
    p.add_argument("--engine", choices=("duckdb", "numpy", "spark"), default="duckdb",
                   help="scoring engine (default duckdb)")
    p.add_argument("--input", required=True, help="input file or glob, e.g. 'data/*.parquet'")
    p.add_argument("--output", required=True, help="output .csv or .parquet file")
    p.add_argument("--artifact", default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--spec", help="spec whose contract the input follows (default: the "
                   "card's)")
    p.add_argument("--input-format", choices=("auto", "csv", "parquet"), default="auto",
                   help="input format (default: by extension, .parquet/.pq = Parquet)")
    p.add_argument("--memory-limit", default="2GB",
                   help="DuckDB memory limit before spilling (default 2GB)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("--temp-directory", help="spill directory for DuckDB / Spark local dir "
                   "(default: a fresh temporary directory)")
    p.add_argument("--spark-master", default="local[*]", help="Spark master (default "
                   "local[*])")
    p.add_argument("--spark-driver-memory", default="2g",
                   help="Spark driver JVM heap (default 2g)")
    p.add_argument("--spark-quick-start", action="store_true",
                   help="start the JVM with C1-only JIT and serial GC: faster start-up, "
                   "slower on large inputs")
    p.set_defaults(func=_score)
