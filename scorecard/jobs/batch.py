"""Scoring files at scale: the card's SQL in DuckDB or Spark, or the numpy engine.

Every runner reads CSV files in the contract's format (the case's ``;``-separated, ``NA``
for missing, header) or Parquet files, and writes one output file — CSV or Parquet, chosen
by the output's extension — with the columns ``<id>, pd, score`` (``uuid, pd, score`` for
the Klarna card; ``pd, score`` for a card without an id column), rows in input order.

* :func:`score_duckdb` runs :func:`scorecard.card.sql.card_sql` in DuckDB as one streaming
  ``COPY (SELECT ...) TO``, under a memory limit with spilling to a temp directory, so
  inputs larger than memory work.
* :func:`score_spark` runs the same SQL with ``spark.sql`` over a temp view (pyspark, local
  mode by default), writes part files in parallel, then concatenates them in order.
* :func:`score_numpy` is the reference: CSV inputs go through
  :func:`scorecard.data.files.read_dataset` (full contract validation) and
  :func:`scorecard.jobs.predict.predictions_frame`; Parquet inputs stream in row batches.

The SQL runners check columns and types (a value that does not parse as its contract type
fails the run) but not the contract's ranges and value sets; validate untrusted files with
``scorecard predict`` / ``read_dataset`` first. Every output is written to a temporary file
beside the target and renamed into place, so a failed run leaves no partial output. In CSV
outputs a text id that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return first) gets a leading ``'``, as :func:`scorecard.jobs.outputs.write_csv`
does; Parquet outputs keep the id as read. The command line checks every path first
(:mod:`scorecard.data.safety`): no output may be an input or the artifact.

The end of the module holds development fixtures (:func:`sample_frame`, :func:`demo_card`)
used by the tests and the benchmark when no fitted card or data generator is at hand.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import glob
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from scorecard.card.artifact import file_contract
from scorecard.card.sql import card_sql, identifier, input_columns, string_literal
from scorecard.data.atomic import atomic_write, temp_prefix
from scorecard.data.contract import Contract
from scorecard.data.errors import ContractError
from scorecard.jobs.outputs import FORMULA_PREFIXES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Engine = Literal["duckdb", "numpy", "spark"]
FileFormat = Literal["csv", "parquet"]
ENGINES: tuple[str, ...] = ("duckdb", "numpy", "spark")
VIEW = "applicants"
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
_SQL_TYPES = {"id": "VARCHAR", "target": "VARCHAR", "numeric": "DOUBLE", "integer": "DOUBLE",
              "code": "DOUBLE", "category": "VARCHAR", "boolean": "BOOLEAN"}


@dataclass(frozen=True)
class ScoreRun:
    """What a runner did: ``rows`` scored by ``engine`` into ``output`` in ``seconds``
    (wall time, including reading and writing)."""

    engine: str
    rows: int
    seconds: float
    output: Path


# --------------------------------------------------------------------------- inputs/outputs


def expand_inputs(inputs: str | Path | Sequence[str | Path]) -> list[Path]:
    """Files named by a path, a glob pattern or a list of them, sorted within each pattern.

    Raises:
        ContractError: when a path or pattern matches no file.
    """
    items = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    out: list[Path] = []
    for item in items:
        text = str(item)
        matches = sorted(glob.glob(text)) if glob.has_magic(text) else [text]
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise ContractError(f"file: no input file matches {text}")
        out.extend(Path(m) for m in matches)
    return out


def file_format(paths: Sequence[Path], declared: str | None = None) -> FileFormat:
    """``parquet`` when every path ends in ``.parquet``/``.pq``, else ``csv`` (or
    ``declared`` when given and not ``auto``)."""
    if declared and declared != "auto":
        if declared not in ("csv", "parquet"):
            raise ValueError(f"unknown input format {declared!r}")
        return declared  # type: ignore[return-value]
    kinds = {p.suffix.lower() in _PARQUET_SUFFIXES for p in paths}
    if len(kinds) > 1:
        raise ContractError("file: inputs mix Parquet and CSV files; score them separately")
    return "parquet" if kinds == {True} else "csv"


def output_format(path: str | Path) -> FileFormat:
    """``parquet`` for a ``.parquet``/``.pq`` output path, else ``csv``."""
    return "parquet" if Path(path).suffix.lower() in _PARQUET_SUFFIXES else "csv"


def contract_for(artifact: dict[str, Any], spec: str | None = None) -> Contract:
    """The file contract of the card: ``spec``'s when given, else the card's own
    (:func:`scorecard.card.artifact.file_contract`)."""
    if spec is not None:
        from scorecard.fit.spec import load_spec

        return load_spec(spec).contract
    return file_contract(artifact)


def output_columns(artifact: dict[str, Any]) -> list[str]:
    """``[id, "pd", "score"]`` (no id for a card without an id column)."""
    id_col = artifact.get("id_column")
    return ([id_col] if id_col else []) + ["pd", "score"]


def csv_header(path: Path, contract: Contract) -> list[str]:
    """The header names of a CSV file in ``contract``'s format (BOM tolerated)."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise ContractError(f"empty_file: {path} has no header row")
    return next(csv.reader([first.rstrip("\r\n")], delimiter=contract.separator))


def _checked_header(files: Sequence[Path], contract: Contract,
                    artifact: dict[str, Any]) -> list[str]:
    """The common header of CSV ``files``; every column the card reads must be in it."""
    header = csv_header(files[0], contract)
    for path in files[1:]:
        other = csv_header(path, contract)
        if other != header:
            raise ContractError(f"header: {path} has a different header from {files[0]}")
    missing = [c for c in input_columns(artifact) if c not in header]
    if missing:
        raise ContractError(
            f"columns: {files[0]} lacks column(s) the card reads: {', '.join(missing)} "
            f"(is the separator {contract.separator!r} right?)")
    return header


def _sql_type(contract: Contract, name: str) -> str:
    """The SQL type a column is read as: from its contract kind; text if not in the
    contract (extra columns are carried, not used)."""
    try:
        return _SQL_TYPES[contract.column(name).kind]
    except KeyError:
        return "VARCHAR"


@contextlib.contextmanager
def _staged(path: Path, directory: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path`` (a file, or a directory); moved into place by the
    caller, removed here if still present afterwards (on failure or after a merge)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(path), suffix=".staging",
                                    dir=path.parent))
    else:
        fd, name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


# --------------------------------------------------------------------------------- DuckDB


def _duckdb_relation(files: Sequence[Path], fmt: FileFormat, contract: Contract,
                     artifact: dict[str, Any]) -> str:
    paths = "[" + ", ".join(_duck_str(str(p)) for p in files) + "]"
    if fmt == "parquet":
        return f"read_parquet({paths})"
    header = _checked_header(files, contract, artifact)
    # Explicit types from the contract: no sniffing, so a stray value fails the run instead
    # of silently turning a numeric column into text.
    types = ", ".join(f"{_duck_str(h)}: '{_sql_type(contract, h)}'" for h in header)
    return (f"read_csv({paths}, delim={_duck_str(contract.separator)}, header=true, "
            f"nullstr={_duck_str(contract.na_value)}, quote='\"', escape='\"', "
            f"auto_detect=false, columns={{{types}}})")


def _duck_str(text: str) -> str:
    """A DuckDB string literal (standard SQL: quotes doubled, backslashes literal)."""
    return "'" + text.replace("'", "''") + "'"


def score_duckdb(artifact: dict[str, Any], inputs: str | Path | Sequence[str | Path],
                 output: str | Path, *, contract: Contract | None = None,
                 input_format: str | None = None, memory_limit: str = "2GB",
                 threads: int | None = None, temp_directory: str | Path | None = None,
                 ) -> ScoreRun:
    """Score ``inputs`` (CSV or Parquet files, globs allowed) into ``output`` with DuckDB.

    One ``COPY (SELECT <id>, pd, score FROM (<card SQL>)) TO`` streams the rows; DuckDB
    spills to ``temp_directory`` (default: a fresh directory under the system temp) rather
    than exceed ``memory_limit``, and keeps input order.
    """
    import duckdb

    start = time.perf_counter()
    output = Path(output)
    contract = contract or contract_for(artifact)
    files = expand_inputs(inputs)
    fmt = file_format(files, input_format)
    relation = _duckdb_relation(files, fmt, contract, artifact)
    select = _select_outputs(artifact, card_sql(artifact, VIEW),
                             _neutralise_id(artifact, files, fmt, output))
    with contextlib.ExitStack() as stack:
        spill = temp_directory or stack.enter_context(
            tempfile.TemporaryDirectory(prefix="scorecard-duckdb-"))
        config: dict[str, Any] = {"memory_limit": memory_limit, "temp_directory": str(spill)}
        if threads:
            config["threads"] = int(threads)
        con = stack.enter_context(duckdb.connect(config=config))
        tmp = stack.enter_context(_staged(output))
        options = ("FORMAT PARQUET, COMPRESSION ZSTD" if output_format(output) == "parquet"
                   else "FORMAT CSV, HEADER true, DELIMITER ','")
        # DuckDB turns long IN (...) lists into hash joins, which do not keep input order
        # on more than one thread; evaluated as expressions they do (and are as fast).
        con.execute("SET disabled_optimizers = 'in_clause'")
        con.execute("SET preserve_insertion_order = true")
        try:
            # VIEW is a constant; relation holds only quoted literals (_duck_str).
            con.execute(f"CREATE VIEW {VIEW} AS SELECT * FROM {relation}")  # nosec B608
            row = con.execute(f"COPY ({select}) TO {_duck_str(str(tmp))} ({options})"
                              ).fetchone()
        except (duckdb.ConversionException, duckdb.InvalidInputException,
                duckdb.BinderException) as exc:
            raise ContractError(f"parse: DuckDB could not read the input as the card "
                                f"needs it: {exc}") from exc
        os.replace(tmp, output)
    rows = int(row[0]) if row else 0
    return ScoreRun("duckdb", rows, time.perf_counter() - start, output)


def _neutralise_id(artifact: dict[str, Any], files: Sequence[Path], fmt: FileFormat,
                   output: Path) -> bool:
    """Whether the SQL must neutralise formula-like ids: a CSV output of a text id (CSV
    inputs read the id as text; a Parquet id is text if its stored type is)."""
    id_col = artifact.get("id_column")
    if not id_col or output_format(output) != "csv":
        return False
    if fmt == "csv":
        return True
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    if id_col not in schema.names:
        return False  # the run fails on the missing column with its own message
    kind = schema.field(id_col).type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _neutralised(column: str) -> str:
    """SQL (DuckDB and Spark alike) prefixing ``'`` to a text value a spreadsheet would run
    as a formula, as :func:`scorecard.jobs.outputs.neutralise_formulas` does."""
    first = f"substr({column}, 1, 1)"
    starts = ", ".join(string_literal(c) if c.isprintable() else f"chr({ord(c)})"
                       for c in FORMULA_PREFIXES)
    return (f"CASE WHEN {first} IN ({starts}) THEN concat(chr(39), {column}) "
            f"ELSE {column} END AS {column}")


def _select_outputs(artifact: dict[str, Any], sql: str, neutralise_id: bool = False) -> str:
    id_col = artifact.get("id_column")
    ids = [] if not id_col else [_neutralised(identifier(id_col)) if neutralise_id
                                 else identifier(id_col)]
    cols = [*ids, "pd", "CAST(score AS BIGINT) AS score"]
    # Identifiers pass sql.identifier's whitelist; the card SQL quotes every literal.
    return f"SELECT {', '.join(cols)}\nFROM (\n{sql}) AS card"  # nosec B608


# ---------------------------------------------------------------------------------- Spark


QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def spark_session(master: str = "local[*]", driver_memory: str = "2g",
                  temp_directory: str | Path | None = None,
                  shuffle_partitions: int | None = None,
                  java_options: str | None = None) -> SparkSession:
    """A quiet local SparkSession for scoring (UI and progress bars off, UTC).

    ``java_options`` go to the driver JVM; :data:`QUICK_JVM` (C1 JIT only, serial GC)
    roughly halves start-up on small machines at some cost in peak throughput — use it for
    tests and small files, not for large runs.
    """
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(master).appName("scorecard-score")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.log.level", "ERROR")
               .config("spark.driver.memory", driver_memory)
               .config("spark.sql.session.timeZone", "UTC")
               # The card's wide CASE projection compiles to big methods; above 8000 bytes
               # HotSpot will not JIT them, so fall back rather than run them interpreted.
               .config("spark.sql.codegen.hugeMethodLimit", "8000")
               .config("spark.sql.shuffle.partitions",
                       str(shuffle_partitions or max(1, os.cpu_count() or 1))))
    if temp_directory:
        builder = builder.config("spark.local.dir", str(temp_directory))
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    return builder.getOrCreate()


def stop_spark(spark: SparkSession) -> None:
    """Stop ``spark`` and shut its JVM down, waiting for it so it leaves no orphan (and so
    its resource usage is accounted to this process's children)."""
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    proc = getattr(gateway, "proc", None)
    with contextlib.suppress(Exception):
        gateway.shutdown()
    if proc is not None:
        with contextlib.suppress(Exception):
            if proc.stdin:
                proc.stdin.close()  # the launcher exits when its stdin closes
            proc.wait(timeout=60)
    SparkContext._gateway = None
    SparkContext._jvm = None


def _spark_schema(header: Sequence[str], contract: Contract) -> Any:
    from pyspark.sql import types

    spark_types = {"VARCHAR": types.StringType(), "DOUBLE": types.DoubleType(),
                   "BOOLEAN": types.BooleanType()}
    return types.StructType([types.StructField(h, spark_types[_sql_type(contract, h)], True)
                             for h in header])


def spark_frame(spark: SparkSession, files: Sequence[Path], fmt: FileFormat,
                contract: Contract, artifact: dict[str, Any]) -> Any:
    """A Spark DataFrame over ``files`` in their order, CSV typed from the contract
    (``FAILFAST``: a value that does not parse fails the job), Parquet as stored.

    Each file is read on its own and the frames are unioned in order: read together, Spark
    packs file splits largest first, which would not keep input order.
    """
    if fmt == "csv":
        schema = _spark_schema(_checked_header(files, contract, artifact), contract)
        reader = (spark.read.schema(schema)
                  .option("header", True).option("sep", contract.separator)
                  .option("nullValue", contract.na_value).option("quote", '"')
                  .option("escape", '"').option("mode", "FAILFAST")
                  .option("enforceSchema", False))
        frames = [reader.csv(str(p)) for p in files]
    else:
        frames = [spark.read.parquet(str(p)) for p in files]
    return functools.reduce(lambda a, b: a.unionByName(b), frames)


def score_spark(artifact: dict[str, Any], inputs: str | Path | Sequence[str | Path],
                output: str | Path, *, contract: Contract | None = None,
                input_format: str | None = None, spark: SparkSession | None = None,
                master: str = "local[*]", driver_memory: str = "2g",
                temp_directory: str | Path | None = None,
                java_options: str | None = None) -> ScoreRun:
    """Score ``inputs`` into ``output`` with Spark SQL (the same query as DuckDB).

    Uses ``spark`` if given (left running), else starts a local session and stops it and
    its JVM afterwards. Spark writes part files in parallel into a staging directory beside
    ``output``; they are concatenated in part order (input order) into one file.
    """
    start = time.perf_counter()
    output = Path(output)
    contract = contract or contract_for(artifact)
    files = expand_inputs(inputs)
    fmt = file_format(files, input_format)
    own = spark is None
    session = spark or spark_session(master, driver_memory, temp_directory,
                                     java_options=java_options)
    try:
        frame = spark_frame(session, files, fmt, contract, artifact)
        frame.createOrReplaceTempView(VIEW)
        scored = session.sql(_select_outputs(artifact, card_sql(artifact, VIEW),
                                             _neutralise_id(artifact, files, fmt, output)))
        with _staged(output, directory=True) as parts, _staged(output) as tmp:
            target = parts / "out"
            try:
                if output_format(output) == "parquet":
                    scored.write.mode("overwrite").parquet(str(target))
                    rows = _merge_parquet(sorted(target.glob("part-*.parquet")), tmp)
                else:
                    scored.write.mode("overwrite").option("header", True).csv(str(target))
                    rows = _merge_csv(sorted(target.glob("part-*.csv")), tmp)
            except Exception as exc:
                if "MALFORMED" in str(exc).upper() or "FAILFAST" in str(exc).upper():
                    raise ContractError(f"parse: Spark could not read the input as the "
                                        f"card needs it: {str(exc).splitlines()[0]}") from exc
                raise
            os.replace(tmp, output)
    finally:
        session.catalog.dropTempView(VIEW)
        if own:
            stop_spark(session)
    return ScoreRun("spark", rows, time.perf_counter() - start, output)


def _merge_csv(parts: Sequence[Path], target: Path) -> int:
    """Concatenate Spark's CSV part files (each with a header) into ``target``; rows."""
    header: bytes | None = None
    rows = 0
    with atomic_write(target, "wb") as out:
        for part in parts:
            with part.open("rb") as src:
                first = src.readline()
                if not first:
                    continue
                if header is None:
                    header = first
                    out.write(first)
                elif first != header:
                    raise RuntimeError(f"Spark part {part.name} has an unexpected header")
                for block in iter(functools.partial(src.read, 1 << 22), b""):
                    rows += block.count(b"\n")
                    out.write(block)
    return rows


def _merge_parquet(parts: Sequence[Path], target: Path) -> int:
    """Concatenate Spark's Parquet part files, row group by row group; rows."""
    import pyarrow.parquet as pq

    rows = 0
    writer: pq.ParquetWriter | None = None
    with atomic_write(target, "wb") as out:
        try:
            for part in parts:
                pf = pq.ParquetFile(part)
                if writer is None:
                    writer = pq.ParquetWriter(out, pf.schema_arrow, compression="zstd")
                for g in range(pf.num_row_groups):
                    table = pf.read_row_group(g)
                    writer.write_table(table)
                    rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


# ---------------------------------------------------------------------------------- numpy


def score_numpy(artifact: dict[str, Any], inputs: str | Path | Sequence[str | Path],
                output: str | Path, *, contract: Contract | None = None,
                input_format: str | None = None, batch_rows: int = 500_000) -> ScoreRun:
    """Score ``inputs`` into ``output`` with the reference numpy engine.

    CSV files are read and fully validated with :func:`scorecard.data.files.read_dataset` (each
    file in memory); Parquet files stream in batches of ``batch_rows`` rows.
    """
    from scorecard.card.engine import ScoringEngine

    start = time.perf_counter()
    output = Path(output)
    contract = contract or contract_for(artifact)
    files = expand_inputs(inputs)
    fmt = file_format(files, input_format)
    engine = ScoringEngine(artifact)
    cols = output_columns(artifact)
    if fmt == "csv":
        from scorecard.data.files import read_dataset
        from scorecard.jobs.predict import predictions_frame

        frames = []
        for path in files:
            dataset = read_dataset(path, contract)
            frames.append(predictions_frame(engine, dataset, dataset.frame,
                                            with_details=True, top=0)[cols])
        result = pd.concat(frames, ignore_index=True)
        if output_format(output) == "csv":
            from scorecard.jobs.outputs import write_csv

            write_csv(result, output)
        else:
            _write_frames(iter([result]), output)
        rows = len(result)
    else:
        rows = _write_frames(_numpy_batches(engine, artifact, files, batch_rows), output)
    return ScoreRun("numpy", rows, time.perf_counter() - start, output)


def _numpy_batches(engine: Any, artifact: dict[str, Any], files: Sequence[Path],
                   batch_rows: int) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    id_col = artifact.get("id_column")
    needed = input_columns(artifact)
    for path in files:
        pf = pq.ParquetFile(path)
        missing = [c for c in needed if c not in pf.schema_arrow.names]
        if missing:
            raise ContractError(f"columns: {path} lacks column(s) the card reads: "
                                f"{', '.join(missing)}")
        for batch in pf.iter_batches(batch_size=batch_rows, columns=needed):
            frame = batch.to_pandas()
            result = engine.score(frame)
            out = {id_col: frame[id_col].to_numpy()} if id_col else {}
            yield pd.DataFrame({**out, "pd": result.pd, "score": result.score})


def _write_frames(frames: Iterator[pd.DataFrame], output: Path) -> int:
    """Write frames one after another into ``output`` (CSV as
    :func:`scorecard.jobs.outputs.write_csv` writes it, or Parquet), atomically; rows."""
    rows = 0
    if output_format(output) == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer: pq.ParquetWriter | None = None
        with atomic_write(output, "wb") as fh:
            try:
                for frame in frames:
                    table = pa.Table.from_pandas(frame, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(fh, table.schema, compression="zstd")
                    writer.write_table(table)
                    rows += len(frame)
            finally:
                if writer is not None:
                    writer.close()
        return rows
    from scorecard.jobs.outputs import write_csv_frames

    return write_csv_frames(frames, output)
