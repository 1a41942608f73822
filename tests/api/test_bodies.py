"""Batch bodies: the raw-byte walk (large bodies) and msgspec's split into raw items (small
ones) count items exactly as the JSON decoder does, and refuse the same bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import bodies
from api.bodies import count_items, decode_batch
from api.errors import MalformedBodyError, PayloadTooLargeError
from scorecard.data.records import InvalidRecordsError

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8)
SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(
    allow_nan=False, allow_infinity=False) | TEXT
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=5), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(VALUES, max_size=12), indent=st.sampled_from([None, 0, 2]),
       ascii_only=st.booleans())
def test_the_walk_agrees_with_the_decoder(items: list[Any], indent: int | None,
                                          ascii_only: bool) -> None:
    body = json.dumps(items, indent=indent, ensure_ascii=ascii_only).encode()
    if len(items) <= 8:
        assert decode_batch(body, 8, 64 * 1024) == items
        assert count_items(body, 8, 64 * 1024) == len(items)
    else:
        for check in (decode_batch, count_items):
            with pytest.raises(InvalidRecordsError) as refused:
                check(body, 8, 64 * 1024)
            assert refused.value.issues[0].rule == "max_items"


@pytest.mark.parametrize(("body", "error"), [
    (b"[" + b"{}," * 100 + b"{}]", InvalidRecordsError),
    (b'[{"a": "' + b"x" * 2000 + b'"}]', PayloadTooLargeError),
    (b'[[[[' + b"1," * 2000 + b"1]]]]", PayloadTooLargeError),
    (b"[1,]", MalformedBodyError),
    (b"[1 2]", MalformedBodyError),
    (b"[1] x", MalformedBodyError),
    (b"{not json", MalformedBodyError),
    (b'{"a": 1}', InvalidRecordsError),
    # Large and not an array: judged at its first value (no object is built).
    (b"{" + b" " * 5000, InvalidRecordsError),
    (b"\xff" * 5000, MalformedBodyError),
])
@pytest.mark.parametrize("split_bytes", [bodies.SPLIT_BYTES, 0], ids=["split", "walk"])
def test_a_batch_body_out_of_bounds_is_refused_by_kind(body: bytes, error: type,
                                                       split_bytes: int) -> None:
    # split_bytes 0: every body takes the walk, as a large one does.
    with pytest.raises(error):
        decode_batch(body, 50, 1024, split_bytes)
