"""Typed one-pass parsing of a contract's file with pyarrow's CSV reader.

The contract names every column's type, so the file is parsed straight into float64 and
string columns (multi-threaded, no per-cell Python) and turned into the frame
:func:`scorecard.data.files.read_dataset` returns: numeric kinds float64 with NaN for
missing, ids and categories ``object`` strings with ``None``, booleans ``bool`` (``object``
with ``None`` when nullable), the target 0.0/1.0 with NaN.

These functions never decide that a file is invalid: they return ``None`` (or raise
:class:`FastPathUnavailableError` when streaming) for anything the precise path must judge (a
row that does not parse, text where a number belongs, a ``nan`` cell, a boolean or label
outside the contract's spellings), so the precise path's report stays the only one.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import IO, Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scorecard.data.contract import Column, Contract

NUMERIC_KINDS = ("numeric", "integer", "code")
T = TypeVar("T")
_TRUE, _FALSE = pa.array(["True", "true"]), pa.array(["False", "false"])


class FastPathUnavailableError(ValueError):
    """The fast path cannot judge this part of the file (``where`` says which rows)."""


def _text_target(col: Column) -> bool:
    return col.kind == "target" and bool(col.allowed) and isinstance(col.allowed[0], str)


def _arrow_type(col: Column) -> pa.DataType:
    if col.kind in NUMERIC_KINDS or (col.kind == "target" and not _text_target(col)):
        return pa.float64()
    return pa.string()


def _options(contract: Contract, header: list[str], block_size: int | None
             ) -> tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]:
    read = pacsv.ReadOptions(use_threads=True, block_size=block_size or 1 << 24)
    parse = pacsv.ParseOptions(delimiter=contract.separator, quote_char='"',
                               double_quote=True, newlines_in_values=False,
                               ignore_empty_lines=True)
    by_name = {c.name: c for c in contract.columns}
    convert = pacsv.ConvertOptions(
        column_types={name: _arrow_type(by_name[name]) for name in header},
        null_values=[contract.na_value], strings_can_be_null=True,
        quoted_strings_can_be_null=True, check_utf8=True)
    return read, parse, convert


def _column(col: Column, values: pa.ChunkedArray,
            labels: dict[str, int]) -> pa.ChunkedArray | pa.Array | None:
    """One column in the arrow type that converts to the frame's, or ``None`` when the
    precise path must judge it."""
    if pa.types.is_floating(values.type):
        finite = pc.sum(pc.is_finite(values)).as_py() or 0
        if finite + values.null_count != len(values):
            # "nan", "inf" or a number too long for a double: the precise path words these
            return None
        return values
    if col.kind == "boolean":
        true, false = pc.is_in(values, value_set=_TRUE), pc.is_in(values, value_set=_FALSE)
        if pc.sum(pc.invert(pc.or_(true, false))).as_py() or (
                values.null_count and not col.nullable):
            return None
        return pc.if_else(pc.is_null(values), pa.scalar(None, pa.bool_()), true)
    if _text_target(col):
        index = pc.index_in(values, value_set=pa.array(list(labels)))
        if index.null_count != values.null_count:
            return None  # a label outside the contract's
        mapped = pa.array([float(v) for v in labels.values()])
        return pc.take(mapped, index)
    return values


def _frame(table: pa.Table, contract: Contract, offset: int = 0,
           categorical: bool = False) -> pd.DataFrame | None:
    arrays: dict[str, Any] = {}
    for col in contract.columns:
        typed = _column(col, table.column(col.name), contract.target_labels)
        if typed is None:
            return None
        if categorical and col.kind == "category":
            # A few distinct labels in many rows: codes and categories, no str per cell.
            typed = pc.dictionary_encode(typed)
        arrays[col.name] = typed
    text = [n for n, a in arrays.items() if pa.types.is_string(a.type)]
    rest = [n for n in contract.names if n not in text]
    frame = pa.table([arrays[n] for n in rest], names=rest).to_pandas(use_threads=True)
    frame.index = pd.RangeIndex(offset, offset + len(frame))
    for name in text:  # object columns holding str/None, as the precise path builds them
        frame[name] = pd.Series(arrays[name].to_numpy(zero_copy_only=False), dtype=object,
                                index=frame.index)
    for col in contract.columns:
        if col.kind == "boolean" and col.nullable:  # True/False/None, never NaN
            frame[col.name] = frame[col.name].astype(object).where(frame[col.name].notna(),
                                                                   None)
    return frame[contract.names] if text else frame


def prefetched(blocks: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``blocks`` produced in a background thread, at most ``depth`` ahead of the consumer.
    pyarrow parses and converts without the GIL, so a pipeline of these keeps both cores
    busy: the next block is parsed while the one before is checked and the one before that
    scored and written. The producer's exception
    is raised in the consumer at the point it happened; a consumer that stops early stops
    the producer."""
    out: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        out.put(("block", block), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            out.put(("error", exc))

    worker = threading.Thread(target=produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = out.get()
            if kind == "end":
                return
            if kind == "error" and isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)
        worker.join()
        close = getattr(blocks, "close", None)
        if close is not None:  # the generator's file, closed in this thread once it is idle
            close()


def typed_frame(source: IO[bytes], contract: Contract, header: list[str]
                ) -> pd.DataFrame | None:
    """The whole file as a typed frame, or ``None`` to use the precise path."""
    read, parse, convert = _options(contract, header, None)
    try:
        table = pacsv.read_csv(source, read_options=read, parse_options=parse,
                               convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    return _frame(table, contract)


def typed_chunks(source: IO[bytes], contract: Contract, header: list[str],
                 block_size: int = 1 << 26, categorical: bool = False
                 ) -> Iterator[pd.DataFrame]:
    """The file as typed frames of about ``block_size`` bytes each, indexed by their global
    0-based data row, so memory is bounded by the block size, not the file. With
    ``categorical`` the category columns are pandas categoricals (same values, missing as
    NaN), not ``object`` strings: a tenth of the memory and of the conversion time.

    Raises:
        FastPathUnavailableError: a block the fast path cannot judge (names its first row).
    """
    read, parse, convert = _options(contract, header, block_size)
    offset = 0
    try:
        reader = pacsv.open_csv(source, read_options=read, parse_options=parse,
                                convert_options=convert)
        for batch in prefetched(iter(reader)):
            frame = _frame(pa.Table.from_batches([batch]), contract, offset, categorical)
            if frame is None:
                raise FastPathUnavailableError(f"data rows {offset + 1}..{offset + batch.num_rows}")
            offset += batch.num_rows
            yield frame
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise FastPathUnavailableError(f"after data row {offset}: {exc}") from exc
