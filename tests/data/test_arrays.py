"""numpy and arrow through their buffers: the same values as pyarrow's own conversions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.data.arrays import from_numpy, missing, texts, to_numpy

_KINDS = {pa.float64(): st.floats(allow_nan=False, width=64),
          pa.int64(): st.integers(-2**63, 2**63 - 1),
          pa.int32(): st.integers(-2**31, 2**31 - 1), pa.bool_(): st.booleans()}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_sliced_array_with_nulls_converts_as_pyarrow_converts_it(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(list(_KINDS)))
    values = data.draw(st.lists(st.one_of(st.none(), _KINDS[kind]), max_size=40))
    start = data.draw(st.integers(0, len(values)))
    arrow = pa.array(values, kind).slice(start)  # a bit offset into the bitmaps
    fill = -1 if not pa.types.is_floating(kind) else 0
    got = to_numpy(arrow, fill=fill)
    want = [(np.nan if pa.types.is_floating(kind) else fill) if v is None else v
            for v in arrow.to_pylist()]
    np.testing.assert_array_equal(got, np.array(want, dtype=got.dtype))
    assert missing(arrow).tolist() == [v is None for v in arrow.to_pylist()]


@given(st.lists(st.text(max_size=5), max_size=20), st.integers(0, 2**31 - 1))
def test_texts_and_numbers_become_the_arrow_arrays_pyarrow_builds(strings: list[str],
                                                                   seed: int) -> None:
    assert texts(strings).equals(pa.array(strings, pa.large_string()))
    x = np.random.default_rng(seed).integers(-5, 5, 12)
    for cast in (np.int64, np.int32, np.float64):
        column = x.astype(cast)[::2]  # not contiguous: copied first
        assert from_numpy(column).equals(pa.array(column))
