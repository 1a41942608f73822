"""numpy and arrow arrays into each other through their buffers, without pandas.

pyarrow's own conversions (``pa.array``, ``pa.scalar``, ``Array.to_numpy``) go through its
pandas bridge, whose first use imports pandas: a fifth of a second, holding the GIL, at the
start of every streamed read. The reader, the engine's inputs and the CSV writer use these
instead, so a clean file is read, scored and written with numpy and pyarrow alone (a test
runs ``predict`` and ``validate`` and asserts pandas was never imported).

Only the types the reader and the writer hold: float64, int32 and int64, booleans, and text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

_NUMPY = {pa.float64(): np.float64, pa.int64(): np.int64, pa.int32(): np.int32,
          pa.int8(): np.int8, pa.int16(): np.int16}
_ARROW = {np.dtype(v): k for k, v in _NUMPY.items()}


def _bits(buffer: pa.Buffer, offset: int, n: int) -> np.ndarray:
    """``n`` bits of an arrow bitmap from bit ``offset``, as bool, shape (n,)."""
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, count=offset + n, bitorder="little")[offset:].view(bool)


def present(values: pa.Array) -> np.ndarray | None:
    """Whether each value is present (not null), shape (n,) bool; ``None`` when none is
    missing."""
    if not values.null_count:
        return None
    return _bits(values.buffers()[0], values.offset, len(values))


def missing(values: pa.Array) -> np.ndarray:
    """Whether each value is null, shape (n,) bool."""
    there = present(values)
    return np.zeros(len(values), dtype=bool) if there is None else ~there


def to_numpy(values: pa.Array, fill: float | int | bool = 0) -> np.ndarray:
    """A numeric or boolean arrow array as a numpy array of its type, shape (n,), nulls
    replaced by ``fill`` (NaN for floats, whatever ``fill`` says). A copy only when there
    are nulls or booleans (bit-packed in arrow)."""
    n, offset = len(values), values.offset
    if pa.types.is_boolean(values.type):
        out = _bits(values.buffers()[1], offset, n) if n else np.zeros(0, dtype=bool)
    else:
        kind = np.dtype(_NUMPY[values.type])
        data = values.buffers()[1]
        out = (np.frombuffer(data, dtype=kind, count=n, offset=offset * kind.itemsize)
               if n else np.zeros(0, dtype=kind))
    there = present(values)
    if there is not None:
        out = np.where(there, out, np.nan if pa.types.is_floating(values.type) else fill)
    return out


def from_numpy(x: np.ndarray) -> pa.Array:
    """A 1-D numpy array of float64, int64, int32 (int8, int16) as an arrow array, no nulls;
    zero-copy for a contiguous array."""
    x = np.ascontiguousarray(x)
    return pa.Array.from_buffers(_ARROW[x.dtype], len(x), [None, pa.py_buffer(x)])


def text_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of an arrow ``string`` or ``large_string`` array and where each cell
    starts in them, and the last ends: ``(data (total,) uint8, offsets (n + 1,))``, offsets
    int32 or int64 as the array holds them. No copy: views of the array's two buffers."""
    width = np.int64 if pa.types.is_large_string(values.type) else np.int32
    _, offsets, data = values.buffers()
    at = values.offset
    return ((np.frombuffer(data, dtype=np.uint8) if data is not None
             else np.zeros(0, dtype=np.uint8)),
            np.frombuffer(offsets, dtype=width)[at:at + len(values) + 1])


def texts(strings: Sequence[str]) -> pa.Array:
    """Python strings as an arrow ``large_string`` array, no nulls."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)),
              out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def text(value: str) -> pa.Scalar:
    """One string as an arrow ``large_string`` scalar (a separator for pyarrow's joins)."""
    return texts([value])[0]
