"""Validated reading in chunks: files larger than memory, bounded by the chunk size.

:func:`iter_dataset` parses a file block by block with the fast typed path
(:mod:`scorecard.data.arrow`), checks each block with the contract
(:func:`~scorecard.data.schema.suspect_rows`, pandera on the flagged rows) and yields the
valid blocks, indexed by their global 0-based data row. It collects every problem of every
block and raises one :class:`~scorecard.data.errors.ContractError` after the last block, with
global row numbers, so a consumer that writes as it goes (``predict``) must write to a
temporary file and publish it only when the iteration ends without an error.

Uniqueness of the id spans blocks: each block's ids are kept as 64-bit hashes (8 bytes a
row, not the strings), and a second pass over the id column alone names the rows and the
value of any id that repeats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from scorecard.data.arrow import FastPathUnavailableError, typed_chunks
from scorecard.data.contract import Contract
from scorecard.data.errors import ContractError
from scorecard.data.files import _header

DEFAULT_CHUNK_BYTES = 64 << 20  # of CSV text per block: ~250k Klarna rows, ~0.2 GB typed
ENV_STREAM_ABOVE = "SCORECARD_STREAM_ABOVE_BYTES"
DEFAULT_STREAM_ABOVE = 512 << 20  # files larger than this are read in chunks


def streams(path: str | Path) -> bool:
    """Whether ``predict``/``validate`` read the file at ``path`` in chunks: above
    ``$SCORECARD_STREAM_ABOVE_BYTES`` (default 512 MiB). Smaller files are read whole, so
    their report can fall back to the cell-by-cell precise path."""
    raw = os.environ.get(ENV_STREAM_ABOVE, "")
    limit = int(raw) if raw.strip().isdigit() else DEFAULT_STREAM_ABOVE
    return Path(path).stat().st_size > limit


def _duplicates(path: Path, contract: Contract, header: list[str], hashes: np.ndarray,
                chunk_bytes: int) -> list[dict[str, object]]:
    """The ``unique`` failure of the id column across the whole file (or none)."""
    from scorecard.data.schema import _failure, _show

    values, counts = np.unique(hashes, return_counts=True)
    repeated = values[counts > 1]
    if not len(repeated):
        return []
    name = contract.id_column
    rows: list[int] = []
    example: object = None
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=chunk_bytes),
        parse_options=pacsv.ParseOptions(delimiter=contract.separator),
        convert_options=pacsv.ConvertOptions(include_columns=[name],
                                             column_types={name: pa.string()},
                                             null_values=[contract.na_value],
                                             strings_can_be_null=True))
    offset = 0
    for batch in reader:
        ids = batch.column(0).to_numpy(zero_copy_only=False).astype(object)
        hit = np.flatnonzero(np.isin(pd.util.hash_array(ids), repeated))
        rows.extend((offset + hit).tolist())
        if example is None and len(hit):
            example = ids[hit[0]]
        offset += batch.num_rows
    return [_failure("unique", str(name), f"duplicated value (e.g. {_show(example)})", rows)]


def iter_dataset(path: str | Path, contract: Contract,
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[pd.DataFrame]:
    """Typed, valid blocks of the file at ``path`` (see the module docstring).

    Raises:
        ContractError: after the last block, every problem of the file with global rows;
            at once for a header problem or a block that does not parse as typed.
    """
    from scorecard.data.schema import (
        _schema_failures,
        _structure,
        contract_error,
        merge_failures,
        suspect_rows,
    )

    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        raise ContractError("encoding: files with a byte-order mark are read whole; remove "
                            "the BOM to stream this file")
    header = _header(head, contract)
    if header is None:
        raise ContractError("header: the first line is not a header in the contract's format "
                            f"(separator {contract.separator!r}, UTF-8)")
    structure = _structure(pd.DataFrame(columns=header), contract, header)
    if structure:
        raise contract_error(structure, contract)
    parts: list[list[dict[str, object]]] = []
    hashes: list[np.ndarray] = []
    rows = 0
    with path.open("rb") as fh:
        try:
            for chunk in typed_chunks(fh, contract, header, chunk_bytes):
                rows += len(chunk)
                if contract.id_column:
                    ids = chunk[contract.id_column].to_numpy(dtype=object)
                    hashes.append(pd.util.hash_array(ids))
                suspects = np.flatnonzero(suspect_rows(chunk, contract))
                found = ([f for f in _schema_failures(chunk.iloc[suspects], contract)
                          if f["rule"] != "unique"] if len(suspects) else [])
                if found:
                    parts.append(found)
                elif not parts:
                    yield chunk
        except FastPathUnavailableError as exc:
            raise ContractError(f"parse: {exc}: the block does not parse as the contract's "
                                "types; validate the file in pieces small enough to read "
                                "whole for a cell-by-cell report") from exc
    if rows == 0:
        raise ContractError(f"empty_file: the file has a header but no data rows "
                            f"(contract '{contract.name}')")
    if hashes:
        parts.append(_duplicates(path, contract, header, np.concatenate(hashes), chunk_bytes))
    failures = merge_failures([p for p in parts if p])
    order = {name: k for k, name in enumerate(contract.names)}
    failures.sort(key=lambda f: order.get(str(f["column"]), -1))  # as a whole-file report
    if failures:
        raise contract_error(failures, contract)
