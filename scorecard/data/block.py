"""A typed block of a file's rows, column by column, and the contract's rules checked on it.

The streaming reader (:mod:`scorecard.data.arrow`, :mod:`scorecard.data.chunks`) yields
blocks (:class:`Block`), not pandas frames: a clean file is read, checked, scored and written with
numpy and pyarrow alone, and pandas (a fifth of a second to import, a copy of every column to
build a frame) is loaded only for a block with a suspect row or a file the stream cannot
judge. The columns of a block, by contract kind:

* ``numeric``, ``integer``, ``code``, and the ``target`` (mapped to 0.0/1.0): numpy
  float64, NaN for missing;
* ``boolean``: numpy ``bool``, or ``object`` ``True``/``False``/``None`` when nullable;
* ``category``: :class:`Categories`, each row's code into the distinct labels, -1 for
  missing (a few labels in many rows: the card looks up each label once);
* ``id``: a pyarrow string array, null for missing.

:meth:`Block.to_frame` gives the frame :func:`scorecard.data.files.read_dataset` returns
for the same rows, so pandera judges suspect rows exactly as on the precise path.

:func:`suspect_rows` finds, by vectorised checks, a superset of the rows the pandera schema
of :mod:`scorecard.data.schema` rejects; a property test proves the two agree on random
files with injected faults. Imports numpy and pyarrow only, and converts between them with
:mod:`scorecard.data.arrays` (pyarrow's own conversions import pandas).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scorecard.data.arrays import from_numpy, missing, text_bytes, to_numpy
from scorecard.data.contract import Contract

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

NUMERIC_KINDS = ("numeric", "integer", "code")
_WORD = 8  # id_hashes mixes an id's bytes 8 at a time
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multipliers (golden ratio, splitmix64)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


def is_float_kind(contract: Contract, name: str) -> bool:
    """Whether column ``name`` is held as float64 in a block: the numeric kinds and the
    target (a text target is mapped to 0.0/1.0 when read)."""
    return contract.column(name).kind in (*NUMERIC_KINDS, "target")


@dataclass(frozen=True)
class Categories:
    """A category column of a block: each row's code into ``categories``, the distinct
    labels (str), -1 for missing; ``codes`` (n,) int32. pandas' ``Categorical`` has the same
    two attributes, and the card's engine maps the labels once, then the codes."""

    codes: np.ndarray
    categories: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def of(cls, text: pa.Array) -> Categories:
        """The categories of an arrow string array (nulls missing)."""
        encoded = pc.dictionary_encode(text)
        codes = to_numpy(encoded.indices, fill=-1).astype(np.int32, copy=False)
        return cls(codes, encoded.dictionary.to_pylist())

    def labels(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Each row's label (of the positions ``rows`` only, if given), ``None`` where
        missing: shape (n,) object."""
        codes = self.codes if rows is None else self.codes[rows]
        return np.asarray([*self.categories, None], dtype=object)[codes]


@dataclass(frozen=True)
class Block:
    """``rows`` typed rows of a file (module docstring), the first being global 0-based data
    row ``start``. ``columns`` maps every contract column, in contract order, to a 1-D
    column of length ``rows``."""

    columns: Mapping[str, Any]
    start: int
    rows: int

    def __len__(self) -> int:
        return self.rows

    def __getitem__(self, name: str) -> Any:
        return self.columns[name]

    def ids(self, contract: Contract) -> pa.Array:
        """The id column as arrow text; the global 0-based row number if the contract has
        no id column (as :meth:`scorecard.data.files.Dataset.ids`)."""
        if contract.id_column is None:
            rows = from_numpy(np.arange(self.start, self.start + self.rows, dtype=np.int64))
            return pc.cast(rows, pa.string())
        return self.columns[contract.id_column]

    def labelled(self, contract: Contract) -> int:
        """How many rows have their target set."""
        return int(np.count_nonzero(~np.isnan(self.columns[contract.target])))

    def to_frame(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """The frame :func:`scorecard.data.files.read_dataset` gives for these rows (or for
        the 0-based block positions ``rows``), indexed by global data row: float64, ``object``
        text with ``None``, booleans as held."""
        import pandas as pd

        at = np.arange(self.rows) if rows is None else np.asarray(rows, dtype=np.int64)
        index = (pd.RangeIndex(self.start, self.start + self.rows) if rows is None
                 else pd.Index(at + self.start))
        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            # text as dtype object, not the str dtype pandas would infer
            if isinstance(values, Categories):
                data[name] = pd.Series(values.labels(None if rows is None else at),
                                       index=index, dtype=object, copy=False)
            elif isinstance(values, pa.Array):
                picked = values if rows is None else values.take(from_numpy(at))
                data[name] = pd.Series(picked.to_numpy(zero_copy_only=False), index=index,
                                       dtype=object, copy=False)
            else:
                data[name] = values if rows is None else values[at]
        return pd.DataFrame(data, index=index, copy=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, contract: Contract, start: int = 0) -> Block:
        """The block of a typed frame as :func:`scorecard.data.files.read_dataset` returns
        it (its rows the global data rows ``start``, ``start + 1``, ...)."""
        columns: dict[str, Any] = {}
        for col in contract.columns:
            s = frame[col.name]
            if is_float_kind(contract, col.name):
                columns[col.name] = s.to_numpy(dtype=float, na_value=np.nan)
            elif col.kind in ("id", "category"):
                text = pa.array(s.to_numpy(dtype=object), pa.string(), from_pandas=True)
                columns[col.name] = Categories.of(text) if col.kind == "category" else text
            else:
                columns[col.name] = s.to_numpy()
        return cls(columns, start, len(frame))


def id_hashes(ids: pa.Array) -> np.ndarray:
    """64-bit hashes of the texts of an arrow string array, shape (n,) uint64: 8 bytes a
    row, the same for the same text in any block (missing hashes as ``""``).

    Each text's bytes, zero-padded to whole 8-byte words, are mixed word by word with its
    length; rows are grouped by length so every group is one (rows, words) matrix, a few
    vectorised passes for ids of one or a few lengths (uuids)."""
    n = len(ids)
    data, offsets = text_bytes(ids)
    lengths = np.diff(offsets)
    if ids.null_count:  # arrow may keep bytes behind a null: a null is ""
        lengths = np.where(missing(ids), 0, lengths)
    out = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for length in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == length)
            words = -(-length // _WORD)
            cells = np.zeros((len(rows), words * _WORD), dtype=np.uint8)
            if len(rows) == n and length:  # one length: the texts lie back to back
                cells[:, :length] = data[offsets[0]:offsets[-1]].reshape(n, length)
            elif length:
                cells[:, :length] = data[offsets[rows][:, None] + np.arange(length)]
            h = np.full(len(rows), np.uint64(length) * _MIX2 + np.uint64(1), dtype=np.uint64)
            for word in cells.view(np.uint64).T:
                h = (h ^ word) * _MIX
                h ^= h >> np.uint64(29)
            out[rows] = h
    return out


def _repeated(hashes: np.ndarray) -> np.ndarray:
    """Whether each hash occurs more than once, shape (n,) bool."""
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    same = ranked[1:] == ranked[:-1]
    twice = np.zeros(len(hashes), dtype=bool)
    twice[1:] |= same
    twice[:-1] |= same
    out = np.empty(len(hashes), dtype=bool)
    out[order] = twice
    return out


def suspect_rows(block: Block, contract: Contract,
                 hashes: np.ndarray | None = None) -> np.ndarray:
    """Rows of ``block`` that may break a rule of the contract's pandera schema, by
    vectorised checks, shape ``(len(block),)`` bool.

    A superset of the rows pandera rejects (every element-wise check and nullability; for
    the id every row whose :func:`id_hashes` value occurs twice: a hash collision only adds
    a suspect), so validating only these rows with the schema finds exactly the failures a
    validation of the whole block finds. ``hashes``: the id column's, if the caller has them.
    """
    bad = np.zeros(len(block), dtype=bool)
    for col in contract.columns:
        values = block[col.name]
        if is_float_kind(contract, col.name):
            x = values
            absent = np.isnan(x)
            with np.errstate(invalid="ignore"):
                wrong = ~np.isfinite(x) & ~absent
                if col.kind in ("integer", "code", "target"):
                    wrong |= (x != np.floor(x)) & ~absent
                if col.allowed is not None and not isinstance(col.allowed[0], str):
                    wrong |= ~np.isin(x, [float(a) for a in col.allowed]) & ~absent
                if col.min is not None:
                    wrong |= x < col.min
                if col.max is not None:
                    wrong |= (x >= col.max) if col.max_exclusive else (x > col.max)
        elif col.kind == "boolean":
            arr = np.asarray(values)
            if arr.dtype == bool:
                absent = wrong = np.zeros(len(arr), dtype=bool)
            else:
                absent = np.fromiter((v is None for v in arr), dtype=bool, count=len(arr))
                wrong = np.fromiter((v is not None and v is not True and v is not False
                                     for v in arr), dtype=bool, count=len(arr))
        elif col.kind == "category":
            absent = values.codes < 0
            wrong = np.zeros(len(values), dtype=bool)
            if col.allowed is not None:  # each label judged once, then its rows
                allowed = set(col.allowed)
                ok = np.array([c in allowed for c in values.categories] + [True])
                wrong = ~ok[values.codes]
        else:  # the id: arrow text
            absent = missing(values)
            own = (hashes if hashes is not None and col.name == contract.id_column
                   else id_hashes(values))
            empty = (np.diff(text_bytes(values)[1]) == 0) & ~absent
            wrong = empty | _repeated(own)
        if not col.nullable:
            wrong = wrong | absent
        bad |= wrong
    return bad
