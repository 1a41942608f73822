"""Commands that take the card beyond one machine's memory: ``export-sql`` and ``score``.

Paths are checked with :mod:`scorecard.data.safety` first; errors (a bad artifact, a card
that cannot be SQL, bad data) are raised and mapped to exit codes by :func:`scorecard.cli.main`.
"""

from __future__ import annotations

import argparse
import re
import sys

from scorecard.cli import EXIT_FAILURE, EXIT_OK, UsageError, non_empty, positive_int
from scorecard.data.paths import DEFAULT_ARTIFACT

_MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B|bytes)?\s*", re.IGNORECASE)


def _memory_limit(text: str) -> str:
    """A DuckDB memory limit such as ``2GB`` or ``512MiB`` (checked here: DuckDB's own error
    would come after the input was opened)."""
    if not _MEMORY.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a memory size (e.g. 2GB, 512MiB)")
    return text


def _load(path: str) -> dict:
    from scorecard.card.artifact import load_artifact
    from scorecard.data.safety import artifact_file

    return load_artifact(artifact_file(path))


def _export_sql(args: argparse.Namespace) -> int:
    from scorecard.card.sql import card_sql
    from scorecard.data.atomic import atomic_write_text
    from scorecard.data.safety import output_file

    if args.output:
        output_file(args.output, "--output", [("--artifact", args.artifact)])
    artifact = _load(args.artifact)
    text = card_sql(artifact, args.table)
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote the SQL of {artifact['model_id']} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _score(args: argparse.Namespace) -> int:
    import glob

    from scorecard.data import safety

    if not glob.has_magic(args.input):  # a plain path: say what is wrong with it
        safety.data_file(args.input, in_memory=False)
    safety.artifact_file(args.artifact)
    from scorecard.jobs import batch as scale  # pandas, duckdb glue: after the cheap checks

    files = scale.expand_inputs(args.input)
    # Only the numpy engine reads a CSV file whole; DuckDB and Spark stream any size.
    in_memory = args.engine == "numpy" and scale.file_format(files, args.input_format) == "csv"
    for path in files:
        safety.data_file(path, in_memory=in_memory)
    safety.output_file(args.output, "--output", [("--input", p) for p in files]
                       + [("--artifact", args.artifact)])
    if args.temp_directory:
        safety.output_folder(args.temp_directory, (), "--temp-directory",
                             [("--input", p) for p in files])
    artifact = _load(args.artifact)
    try:
        contract = scale.contract_for(artifact, args.spec)
    except ValueError as exc:  # the card's contract is not built in: a usage matter
        raise UsageError(str(exc)) from exc
    common = {"contract": contract, "input_format": args.input_format}
    if args.engine == "duckdb":
        run = scale.score_duckdb(artifact, files, args.output, **common,
                                 memory_limit=args.memory_limit, threads=args.threads,
                                 temp_directory=args.temp_directory)
    elif args.engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            print("error: the spark engine needs pyspark (pip install pyspark) and Java "
                  "17+", file=sys.stderr)
            return EXIT_FAILURE
        run = scale.score_spark(artifact, files, args.output, **common,
                                master=args.spark_master,
                                driver_memory=args.spark_driver_memory,
                                temp_directory=args.temp_directory,
                                java_options=scale.QUICK_JVM if args.spark_quick_start
                                else None)
    else:
        run = scale.score_numpy(artifact, files, args.output, **common)
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
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--table", type=non_empty, default="applicants",
                   help="table (or relation) the query reads (default applicants)")
    p.add_argument("--output", type=non_empty,
                   help="file to write (default: standard output)")
    p.set_defaults(func=_export_sql)

    p = sub.add_parser("score", help="score files larger than memory (DuckDB, Spark or numpy)",
                       description="Score CSV files in the contract's format or Parquet "
                       "files (globs allowed) into one CSV or Parquet file (by extension) "
                       "with the columns uuid, pd, score in input order. duckdb streams with "
                       "a memory limit; spark runs the same SQL in pyspark; numpy is the "
                       "reference engine (CSV inputs fully validated against the contract).")
    p.add_argument("--engine", choices=("duckdb", "numpy", "spark"), default="duckdb",
                   help="scoring engine (default duckdb)")
    p.add_argument("--input", type=non_empty, required=True,
                   help="input file or glob, e.g. 'data/*.parquet'")
    p.add_argument("--output", type=non_empty, required=True,
                   help="output .csv or .parquet file (not an input or the artifact)")
    p.add_argument("--artifact", type=non_empty, default=str(DEFAULT_ARTIFACT),
                   help="card artifact (default reports/scorecard.json)")
    p.add_argument("--spec", help="spec whose contract the input follows (default: the "
                   "card's)")
    p.add_argument("--input-format", choices=("auto", "csv", "parquet"), default="auto",
                   help="input format (default: by extension, .parquet/.pq = Parquet)")
    p.add_argument("--memory-limit", type=_memory_limit, default="2GB",
                   help="DuckDB memory limit before spilling (default 2GB)")
    p.add_argument("--threads", type=positive_int, help="DuckDB threads (default: all cores)")
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
