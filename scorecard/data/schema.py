"""The pandera schema of a contract, and validation of raw string frames against it.

:func:`build_schema` turns the declarations of :mod:`scorecard.data.contract` into a pandera
``DataFrameSchema`` over the typed frame. :func:`check_frame` takes the file as read (all
strings), checks its structure, converts every column to its type while recording text that
does not parse, runs the schema lazily and raises one :class:`~scorecard.data.files.ContractError`
that lists every broken rule with its column and first offending rows.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd


# pandera imports pyspark.pandas (at import and again when validating) when pyspark is
# installed, as it is for `scorecard score`; pyspark then warns about the pandas version on
# every command that reads a file, noise in front of every contract error. Only that
# message is silenced.
def _quiet_pyspark() -> None:
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support",
                            category=FutureWarning)


_quiet_pyspark()
from collections.abc import Callable  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from scorecard.data.contract import Column, Contract  # noqa: E402
from scorecard.data.errors import ContractError  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    import pandera.pandas as pa

MAX_ROWS_SHOWN = 5
MAX_EXAMPLE_CHARS = 60  # a 5 MB cell must not become a 5 MB error message
# Checks whose pandera failure case carries the error text instead of the check name.
_RULE_OF_ERROR = {"must be a finite number": "finite", "must be a whole number": "integer"}


def _pandera() -> Any:
    """pandera, imported on first use (after the warning filter above): a clean file is
    judged by :func:`suspect_rows` alone, and importing pandera costs half a second."""
    _quiet_pyspark()  # again: a caller (pytest) may have reset the filters since
    import pandera.pandas

    return pandera.pandas


def _show(value: object) -> str:
    """``repr`` of an offending value, cut to ``MAX_EXAMPLE_CHARS`` characters."""
    text = repr(value)
    if len(text) <= MAX_EXAMPLE_CHARS:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:MAX_EXAMPLE_CHARS]}...{size}"


def _checks(col: Column) -> list[pa.Check]:
    pa = _pandera()
    checks: list[pa.Check] = []
    if col.kind in ("numeric", "integer", "code", "target"):
        checks.append(pa.Check(lambda s: np.isfinite(s), element_wise=False, name="finite",
                               error="must be a finite number"))
    if col.kind in ("integer", "code", "target"):
        checks.append(pa.Check(lambda s: s == np.floor(s), name="integer",
                               error="must be a whole number"))
    if col.allowed is not None:
        if col.kind == "category":
            checks.append(pa.Check.isin(list(col.allowed)))
        elif col.kind != "target" or not isinstance(col.allowed[0], str):
            checks.append(pa.Check.isin([float(a) for a in col.allowed]))
    if col.min is not None:
        checks.append(pa.Check.greater_than_or_equal_to(col.min))
    if col.max is not None:
        checks.append(pa.Check.less_than(col.max) if col.max_exclusive
                      else pa.Check.less_than_or_equal_to(col.max))
    if col.kind == "id":
        checks.append(pa.Check.str_length(min_value=1))
    if col.kind == "boolean" and col.nullable:
        checks.append(pa.Check.isin([True, False]))
    return checks


def _dtype(col: Column) -> object:
    if col.kind == "boolean":
        # A nullable boolean column holds True/False/None: object, checked by its values.
        return object if col.nullable else bool
    if col.kind in ("id", "category"):
        return object
    return float


def build_schema(contract: Contract) -> pa.DataFrameSchema:
    """The pandera schema of ``contract`` over a typed frame (see :class:`Dataset`)."""
    pa = _pandera()
    columns = {
        col.name: pa.Column(
            _dtype(col),
            checks=_checks(col),
            nullable=col.nullable,
            unique=col.kind == "id",
            description=col.description,
            title=col.name,
        )
        for col in contract.columns
    }
    return pa.DataFrameSchema(columns, strict=True, ordered=False, name=contract.name)


def _rows(index: pd.Index | np.ndarray | list[int]) -> str:
    rows = sorted({int(i) + 1 for i in index})
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    more = f" and {len(rows) - MAX_ROWS_SHOWN} more" if len(rows) > MAX_ROWS_SHOWN else ""
    return f"{shown}{more}"


def _failure(rule: str, column: str, detail: str, index: object = ()) -> dict[str, object]:
    idx = list(index)  # type: ignore[call-overload]
    return {"rule": rule, "column": column, "detail": detail, "n_rows": len(idx),
            "rows": _rows(idx) if idx else "", "index": idx}


def merge_failures(parts: list[list[dict[str, object]]]) -> list[dict[str, object]]:
    """Failures of consecutive chunks as one list: same rule and column merged, rows joined,
    the first chunk's detail (its example) kept, in order of first appearance."""
    merged: dict[tuple[object, object], dict[str, object]] = {}
    for failures in parts:
        for f in failures:
            key = (f["rule"], f["column"])
            if key not in merged:
                merged[key] = dict(f)
                continue
            idx = [*merged[key]["index"], *f["index"]]  # type: ignore[misc]
            merged[key].update(index=idx, n_rows=len(idx), rows=_rows(idx) if idx else "")
    return list(merged.values())


def report_order(contract: Contract) -> Callable[[dict[str, object]], tuple[int, int]]:
    """Sort key of a failure: its place in the report of one validation of the whole frame,
    which pandera orders by column (contract order), then missing values, uniqueness and
    the column's checks in :func:`_checks` order. Blocks validated one by one and merged
    (:func:`merge_failures`) are put back in this order."""
    ranks: dict[tuple[str, str], tuple[int, int]] = {}
    for k, col in enumerate(contract.columns):
        for r, rule in enumerate(["not_nullable", "unique", *(c.name for c in _checks(col))]):
            ranks.setdefault((col.name, rule), (k, r))
    last = (len(contract.columns), 0)
    return lambda f: ranks.get((str(f["column"]), str(f["rule"])), last)


def contract_error(failures: list[dict[str, object]], contract: Contract) -> ContractError:
    """One :class:`ContractError` listing ``failures`` (``failures`` frame: one row each)."""
    frame = pd.DataFrame([{k: v for k, v in f.items() if k != "index"} for f in failures])
    return ContractError(_report(failures, contract), frame)


def _report(failures: list[dict[str, object]], contract: Contract) -> str:
    lines = [f"{len(failures)} contract violation(s) against '{contract.name}' "
             "(rows are 1-based data rows, the header excluded):"]
    for f in failures:
        where = f" in {f['n_rows']} row(s): {f['rows']}" if f["rows"] else ""
        lines.append(f"- [{f['rule']}] column '{f['column']}': {f['detail']}{where}")
    return "\n".join(lines)


def _structure(frame: pd.DataFrame | None, contract: Contract,
               header: list[str] | None) -> list[dict[str, object]]:
    failures = []
    names = header if header is not None else [str(c) for c in frame.columns]  # type: ignore[union-attr]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            failures.append(_failure("unique_columns", name, "column appears more than once"))
        seen.add(name)
    expected = set(contract.names)
    for name in contract.names:
        if name not in seen:
            failures.append(_failure("column_in_dataframe", name, "required column is missing"))
    for name in names:
        if name not in expected:
            failures.append(_failure("column_in_schema", name, "column is not in the contract"))
    return failures


def _convert(raw: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame,
                                                              list[dict[str, object]],
                                                              dict[str, set[int]]]:
    """Type every column; text that does not parse becomes a failure and NaN.

    Also returns, per column, the rows whose text did not parse, so that the NaN put there
    is not reported a second time as a missing value.
    """
    na = contract.na_value
    typed: dict[str, pd.Series] = {}
    failures = []
    unparsed: dict[str, set[int]] = {}
    for col in contract.columns:
        s = raw[col.name].astype(object)
        missing = s.isna() | (s == na)
        if col.kind in ("id", "category"):
            typed[col.name] = s.where(~missing, None)
        elif col.kind == "boolean":
            mapped = s.map({"True": True, "False": False, "true": True, "false": False})
            bad = mapped.isna() & ~missing
            if bad.any():
                failures.append(_failure("dtype", col.name, "must be True or False "
                                         f"(e.g. {_show(s[bad].iloc[0])})", s.index[bad]))
                unparsed[col.name] = set(s.index[bad].tolist())
            typed[col.name] = (mapped.astype(object) if col.nullable else mapped).where(
                mapped.notna(), None)
        elif col.kind == "target" and col.allowed and isinstance(col.allowed[0], str):
            mapped = s.map(contract.target_labels)
            bad = mapped.isna() & ~missing
            if bad.any():
                failures.append(_failure("isin", col.name, f"must be one of "
                                         f"{list(contract.target_labels)} (e.g. "
                                         f"{_show(s[bad].iloc[0])})", s.index[bad]))
                unparsed[col.name] = set(s.index[bad].tolist())
            typed[col.name] = mapped.astype(float)
        else:
            values = pd.to_numeric(s.where(~missing, None), errors="coerce")
            bad = values.isna() & ~missing
            if bad.any():
                failures.append(_failure("dtype", col.name, "non-numeric text where a number "
                                         f"is required (e.g. {_show(s[bad].iloc[0])})",
                                         s.index[bad]))
                unparsed[col.name] = set(s.index[bad].tolist())
            typed[col.name] = values.astype(float)
    return pd.DataFrame(typed, index=raw.index), failures, unparsed


def _schema_failures(frame: pd.DataFrame, contract: Contract,
                     unparsed: dict[str, set[int]] | None = None) -> list[dict[str, object]]:
    schema = build_schema(contract)
    try:
        schema.validate(frame, lazy=True)
    except _pandera().errors.SchemaErrors as exc:
        cases = exc.failure_cases
        out = []
        for (column, check), grp in cases.groupby(["column", "check"], sort=False,
                                                  dropna=False):
            idx = grp["index"].dropna().astype(int).tolist()
            rule = _RULE_OF_ERROR.get(str(check), str(check).split("(")[0])
            if rule == "not_nullable" and unparsed:
                # Text that did not parse is already reported (dtype); its NaN is not "NA".
                skip = unparsed.get(str(column), set())
                grp = grp[~grp["index"].isin(skip)]
                idx = [i for i in idx if i not in skip]
                if not idx:
                    continue
            example = grp["failure_case"].iloc[0]
            if isinstance(example, np.generic):  # show 17.0, not np.float64(17.0)
                example = example.item()
            detail = (f"{check} (e.g. {_show(example)})" if str(check) in _RULE_OF_ERROR
                      else f"{check} failed (e.g. {_show(example)})")
            if rule == "not_nullable":
                detail = f"missing value ({contract.na_value}) where the column is not nullable"
            elif rule == "field_uniqueness":
                rule, detail = "unique", f"duplicated value (e.g. {_show(example)})"
            out.append(_failure(rule, str(column), detail, idx))
        return out
    return []


def check_frame(raw: pd.DataFrame, contract: Contract,
                   header: list[str] | None = None) -> pd.DataFrame:
    """Check a frame of strings (as read from the file) and return it typed.

    Raises:
        ContractError: listing every violation: structure (missing, extra, duplicated
            columns), text that is not of the column's type, and every schema rule.
    """
    failures = _structure(raw, contract, header)
    if failures:
        raise contract_error(failures, contract)
    if raw.empty:
        raise ContractError(f"empty_file: the file has a header but no data rows "
                            f"(contract '{contract.name}')")
    raw = raw.reset_index(drop=True)
    frame, failures, unparsed = _convert(raw[contract.names], contract)
    failures += _schema_failures(frame, contract, unparsed)
    if failures:
        raise contract_error(failures, contract)
    return frame


def check_suspects(frame: pd.DataFrame, suspects: np.ndarray, contract: Contract) -> None:
    """Validate the rows at positions ``suspects`` of a typed frame (as :func:`check_frame`
    returns it) with the schema: the rows :func:`scorecard.data.block.suspect_rows` flags, a
    superset of those the schema rejects, so pandera runs only on these.

    Raises:
        ContractError: exactly the report :func:`check_frame` gives for the same frame.
    """
    if not len(suspects):
        return
    failures = _schema_failures(frame.iloc[suspects], contract)
    if failures:
        raise contract_error(failures, contract)
