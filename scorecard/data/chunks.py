"""Validated reading in chunks: files larger than memory, bounded by the chunk size.

:func:`iter_dataset` parses a file block by block with the fast typed path
(:mod:`scorecard.data.arrow`), checks each block with the contract
(:func:`~scorecard.data.block.suspect_rows`, pandera on the flagged rows) and yields the
valid blocks (:class:`~scorecard.data.block.Block`), each knowing its global 0-based first data
row. A clean file is read without pandas. It collects every problem of every
block and raises one :class:`~scorecard.data.errors.ContractError` after the last block, with
global row numbers, so a consumer that writes as it goes (``predict``) must write to a
temporary file and publish it only when the iteration ends without an error.

Uniqueness of the id spans blocks: each block's ids are kept as 64-bit hashes (8 bytes a
row, not the strings), and a second pass over the id column alone names the rows and the
value of any id that repeats.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from scorecard.data.arrays import from_numpy
from scorecard.data.arrow import FastPathUnavailableError, id_texts, prefetched, typed_chunks
from scorecard.data.block import Block, id_hashes, suspect_rows
from scorecard.data.contract import Contract
from scorecard.data.errors import ContractError
from scorecard.data.files import _header
from scorecard.data.safety import input_limit

# Of CSV text per block, parsed a few at a time: large enough to keep per-block overheads
# small, small enough to bound memory; chosen with scripts/bench_read.py.
DEFAULT_CHUNK_BYTES = 8 << 20
ENV_STREAM_ABOVE = "SCORECARD_STREAM_ABOVE_BYTES"
DEFAULT_STREAM_ABOVE = 512 << 20  # files larger than this are never read whole


class StreamUnavailableError(ContractError):
    """The stream cannot judge the file exactly (a byte-order mark, a header that is not
    the contract's format, a block that does not parse as the contract's types): a file
    small enough to read whole gets the precise path's report instead (:func:`read_chunks`)."""


def streams(path: str | Path) -> bool:
    """Whether the file at ``path`` is too large to ever be read whole: above
    ``$SCORECARD_STREAM_ABOVE_BYTES`` (default 512 MiB). Smaller files that the stream cannot
    judge exactly fall back to the whole-file, cell-by-cell precise path."""
    raw = os.environ.get(ENV_STREAM_ABOVE, "")
    limit = int(raw) if raw.strip().isdigit() else DEFAULT_STREAM_ABOVE
    return Path(path).stat().st_size > limit


def read_chunks(path: str | Path, contract: Contract, chunk_bytes: int = DEFAULT_CHUNK_BYTES
                ) -> Iterator[Block]:
    """Typed, valid blocks of the file at ``path``, whatever its size: what ``validate`` and
    ``predict`` read.

    Streams with :func:`iter_dataset`, so memory is bounded by ``chunk_bytes``. A file the
    stream cannot judge exactly (:class:`StreamUnavailableError`) and small enough to read
    whole (not :func:`streams`, within :func:`~scorecard.data.safety.input_limit`) is
    judged by :func:`~scorecard.data.files.read_dataset` instead, so its report is exactly
    the precise path's; rows already yielded (valid, and the same on both paths) are not
    yielded again.

    Raises:
        ContractError: every problem of the file (see :func:`iter_dataset`).
    """
    yielded = 0
    try:
        for chunk in prefetched(iter_dataset(path, contract, chunk_bytes)):
            yielded += len(chunk)
            yield chunk
        return
    except StreamUnavailableError:
        if streams(path) or Path(path).stat().st_size > input_limit():
            raise
    from scorecard.data.files import read_dataset

    rest = read_dataset(path, contract).frame.iloc[yielded:]
    if len(rest):
        yield Block.from_frame(rest, contract, start=yielded)


def _duplicates(path: Path, contract: Contract, header: list[str], hashes: np.ndarray,
                chunk_bytes: int) -> list[dict[str, object]]:
    """The ``unique`` failure of the id column across the whole file (or none), given every
    row's :func:`~scorecard.data.block.id_hashes` (sorted here, in place). Rows whose hash
    repeats are candidates; their texts decide, so a hash collision reports nothing."""
    hashes.sort()  # in place: 8 bytes a row, no sorted copy and no counts beside it
    repeated = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    if not len(repeated):
        return []
    name = contract.id_column
    candidates: list[tuple[int, object]] = []
    offset = 0
    with path.open("rb") as fh:
        for ids in id_texts(fh, contract, header, chunk_bytes):
            hit = np.flatnonzero(np.isin(id_hashes(ids), repeated))
            candidates.extend(zip((offset + hit).tolist(),
                                  ids.take(from_numpy(hit)).to_pylist(), strict=True))
            offset += len(ids)
    seen = Counter(v for _, v in candidates)
    rows = [r for r, v in candidates if seen[v] > 1]
    if not rows:
        return []
    from scorecard.data.schema import _failure, _show

    example = next(v for _, v in candidates if seen[v] > 1)
    return [_failure("unique", str(name), f"duplicated value (e.g. {_show(example)})", rows)]


def _block_failures(block: Block, suspects: np.ndarray, contract: Contract
                    ) -> list[dict[str, object]]:
    """The schema's failures among the ``suspects`` rows of ``block`` (pandera on those rows
    alone), the id's uniqueness left to the whole-file check."""
    from scorecard.data.schema import _schema_failures

    found = _schema_failures(block.to_frame(suspects), contract)
    return [f for f in found if f["rule"] != "unique"]


def iter_dataset(path: str | Path, contract: Contract,
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Block]:
    """Typed, valid blocks of the file at ``path`` (see the module docstring).

    Raises:
        ContractError: after the last block, every problem of the file with global rows;
            at once for a header problem or a block that does not parse as typed
            (:class:`StreamUnavailableError`).
    """
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(b"\xef\xbb\xbf"):
        raise StreamUnavailableError("encoding: files with a byte-order mark are read whole; "
                                     "remove the BOM to stream this file")
    header = _header(head, contract)
    if header is None:
        raise StreamUnavailableError(
            "header: the first line is not a header in the contract's format "
            f"(separator {contract.separator!r}, UTF-8)")
    if sorted(header) != sorted(contract.names):  # missing, extra or repeated columns
        from scorecard.data.schema import _structure, contract_error

        raise contract_error(_structure(None, contract, header), contract)
    parts: list[list[dict[str, object]]] = []
    hashes: list[np.ndarray] = []
    rows = 0
    with path.open("rb") as fh:
        try:
            for chunk in typed_chunks(fh, contract, header, chunk_bytes):
                rows += len(chunk)
                block_hashes = None
                if contract.id_column:
                    block_hashes = id_hashes(chunk[contract.id_column])
                    hashes.append(block_hashes)
                suspects = np.flatnonzero(suspect_rows(chunk, contract, block_hashes))
                found = _block_failures(chunk, suspects, contract) if len(suspects) else []
                if found:
                    parts.append(found)
                elif not parts:
                    yield chunk
        except FastPathUnavailableError as exc:
            raise StreamUnavailableError(
                f"parse: {exc}: the block does not parse as the contract's types; validate "
                "the file in pieces small enough to read whole for a cell-by-cell "
                "report") from exc
    if rows == 0:
        raise ContractError(f"empty_file: the file has a header but no data rows "
                            f"(contract '{contract.name}')")
    if hashes:
        joined = np.concatenate(hashes)
        hashes.clear()  # one copy of the 8 bytes a row, not two
        parts.append(_duplicates(path, contract, header, joined, chunk_bytes))
    if not parts or not any(parts):
        return
    from scorecard.data.schema import contract_error, merge_failures, report_order

    failures = merge_failures([p for p in parts if p])
    failures.sort(key=report_order(contract))  # as a whole-file report lists them
    if failures:
        raise contract_error(failures, contract)
