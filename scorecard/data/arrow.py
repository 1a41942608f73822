"""Typed one-pass parsing of a contract's file with pyarrow's CSV reader.

The contract names every column's type, so the file is parsed straight into float64 and
string columns (multi-threaded, no per-cell Python) and held as a
:class:`~scorecard.data.block.Block` (numpy and arrow columns, no pandas: the conversions
are :mod:`scorecard.data.arrays`'), whose
:meth:`~scorecard.data.block.Block.to_frame` is the frame
:func:`scorecard.data.files.read_dataset` returns.

These functions never decide that a file is invalid: they return ``None`` (or raise
:class:`FastPathUnavailableError` when streaming) for anything the precise path must judge (a
row that does not parse, text where a number belongs, a ``nan`` cell, a boolean or label
outside the contract's spellings), so the precise path's report stays the only one.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scorecard.data.arrays import from_numpy, missing, texts, to_numpy
from scorecard.data.block import NUMERIC_KINDS, Block, Categories
from scorecard.data.contract import Column, Contract

T = TypeVar("T")
_TRUE, _FALSE = ("True", "true"), ("False", "false")  # the spellings of a boolean cell


class FastPathUnavailableError(ValueError):
    """The fast path cannot judge this part of the file (``where`` says which rows)."""


def _text_target(col: Column) -> bool:
    return bool(col.kind == "target" and col.allowed and isinstance(col.allowed[0], str))


def _arrow_type(col: Column) -> pa.DataType:
    if col.kind in NUMERIC_KINDS or (col.kind == "target" and not _text_target(col)):
        return pa.float64()
    return pa.string()


def _options(contract: Contract, header: list[str]
             ) -> tuple[pacsv.ParseOptions, pacsv.ConvertOptions]:
    parse = pacsv.ParseOptions(delimiter=contract.separator, quote_char='"',
                               double_quote=True, newlines_in_values=False,
                               ignore_empty_lines=True)
    by_name = {c.name: c for c in contract.columns}
    convert = pacsv.ConvertOptions(
        column_types={name: _arrow_type(by_name[name]) for name in header},
        null_values=[contract.na_value], strings_can_be_null=True,
        quoted_strings_can_be_null=True, check_utf8=True)
    return parse, convert


def _column(col: Column, values: pa.Array, labels: dict[str, int]) -> Any:
    """One column as a block holds it (:mod:`scorecard.data.block`), or ``None`` when the
    precise path must judge it."""
    if pa.types.is_floating(values.type):
        x = to_numpy(values)  # missing (null) as NaN
        if np.count_nonzero(np.isfinite(x)) + values.null_count != len(x):
            # "nan", "inf" or a number too long for a double: the precise path words these
            return None
        return x
    if col.kind == "boolean":
        true = pc.is_in(values, value_set=texts(_TRUE))
        false = pc.is_in(values, value_set=texts(_FALSE))
        if pc.sum(pc.invert(pc.or_(true, false))).as_py() or (
                values.null_count and not col.nullable):
            return None
        if col.nullable:  # True/False/None, never NaN, as the precise path builds them
            out = np.array(to_numpy(true).tolist(), dtype=object)
            out[missing(values)] = None
            return out
        return to_numpy(true)
    if _text_target(col):
        index = pc.index_in(values, value_set=texts(list(labels)))
        if index.null_count != values.null_count:
            return None  # a label outside the contract's
        mapped = from_numpy(np.array([float(v) for v in labels.values()]))
        return to_numpy(pc.take(mapped, index))
    if col.kind == "category":  # a few distinct labels in many rows: each held once
        return Categories.of(values)
    return values


def typed_block(table: pa.Table | pa.RecordBatch, contract: Contract, start: int = 0
                ) -> Block | None:
    """The rows of ``table`` (parsed with :func:`_options`) as a :class:`Block` whose first
    row is global data row ``start``, or ``None`` when the precise path must judge them."""
    columns: dict[str, Any] = {}
    for col in contract.columns:
        values = table.column(col.name)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        typed = _column(col, values, contract.target_labels)
        if typed is None:
            return None
        columns[col.name] = typed
    return Block(columns, start, table.num_rows)


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


def typed_file(source: IO[bytes], contract: Contract, header: list[str]) -> Block | None:
    """The whole file as one block, or ``None`` to use the precise path."""
    parse, convert = _options(contract, header)
    read = pacsv.ReadOptions(use_threads=True, block_size=1 << 24)
    try:
        table = pacsv.read_csv(source, read_options=read, parse_options=parse,
                               convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    return typed_block(table, contract)


def _pieces(source: IO[bytes], size: int) -> Iterator[memoryview]:
    """The data lines of ``source`` after its header line, in pieces of about ``size`` bytes
    that end at a line end (``\\n`` or ``\\r``; a line longer than ``size`` whole). The
    options parse no value across lines (``newlines_in_values=False``), so every piece
    parses on its own exactly as it would within the file."""
    source.readline()  # the header: the caller has parsed it
    rest = b""
    while data := source.read(size):
        if rest:
            data = rest + data
        cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if cut:
            yield memoryview(data)[:cut]
        rest = data[cut:]
    if rest:
        yield memoryview(rest)


def _piece_options(header: list[str]) -> pacsv.ReadOptions:
    """How one piece is read: the file's header names, one thread, one block."""
    return pacsv.ReadOptions(use_threads=False, column_names=header, block_size=1 << 30)


def id_texts(source: IO[bytes], contract: Contract, header: list[str], block_size: int
             ) -> Iterator[pa.Array]:
    """The id column of each piece of the file, as :func:`typed_chunks` parses it, in file
    order (one column: a light second pass)."""
    parse, convert = _options(contract, header)
    convert.include_columns = [contract.id_column]
    read = _piece_options(header)
    for piece in _pieces(source, block_size):
        table = pacsv.read_csv(pa.py_buffer(piece), read_options=read, parse_options=parse,
                               convert_options=convert)
        yield table.column(0).combine_chunks()


def typed_chunks(source: IO[bytes], contract: Contract, header: list[str],
                 block_size: int = 1 << 26, workers: int | None = None) -> Iterator[Block]:
    """The file as typed blocks of about ``block_size`` bytes each, in file order, so memory
    is bounded by the block size (times the ``workers`` parsing ahead), not the file.

    The pieces (:func:`_pieces`) are parsed by ``workers`` threads at once (default: one a
    core, two to four; pyarrow parses without the GIL): one streaming reader parses a block
    at a time, and would alone take longer than everything done with its blocks. More than
    four would only hold more pieces in memory: the single consumer is then the limit.

    Raises:
        FastPathUnavailableError: a block the fast path cannot judge (names its first row).
    """
    parse, convert = _options(contract, header)
    workers = workers or min(4, max(2, os.cpu_count() or 1))
    read = _piece_options(header)

    def parsed(piece: memoryview) -> tuple[int, Block | None]:
        table = pacsv.read_csv(pa.py_buffer(piece), read_options=read, parse_options=parse,
                               convert_options=convert)
        return table.num_rows, typed_block(table, contract)  # its start set in order below

    offset = 0
    pending: collections.deque[Future[tuple[int, Block | None]]] = collections.deque()
    with ThreadPoolExecutor(workers, thread_name_prefix="parse") as pool:
        try:
            pieces = _pieces(source, block_size)
            while True:
                while len(pending) <= workers and (piece := next(pieces, None)) is not None:
                    pending.append(pool.submit(parsed, piece))
                if not pending:
                    return
                try:
                    rows, block = pending.popleft().result()
                except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                    raise FastPathUnavailableError(f"after data row {offset}: {exc}") from exc
                if block is None:
                    raise FastPathUnavailableError(f"data rows {offset + 1}..{offset + rows}")
                if rows:
                    yield dataclasses.replace(block, start=offset)
                offset += rows
        finally:
            for future in pending:  # a consumer that stops early or an error: parse no more
                future.cancel()
