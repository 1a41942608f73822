"""hypothesis strategies over applicants, as the API receives them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st

from scorecard.data.contract import KLARNA, Column


def valid_value(col: Column) -> st.SearchStrategy[Any]:
    """Any value ``col`` accepts, as the API receives it (None = missing when nullable)."""
    if col.kind == "id":
        s: st.SearchStrategy[Any] = st.text(min_size=1, max_size=12)
    elif col.kind == "category":
        s = st.sampled_from(list(col.allowed or ()))
    elif col.kind == "boolean":
        s = st.booleans()
    elif col.allowed is not None:  # codes and the target
        s = st.sampled_from([float(a) for a in col.allowed])
    elif col.kind == "integer":
        hi = int(col.max) if col.max is not None else 10**6
        s = st.integers(int(col.min or 0), hi).map(float)
    else:
        lo = col.min if col.min is not None else -1e9
        hi = col.max if col.max is not None else 1e9
        s = st.floats(lo, hi, exclude_max=col.max_exclusive, allow_nan=False)
    return s | st.none() if col.nullable else s


FEATURES = {c.name: c for c in KLARNA.features}


def boundary_value(col: Column, splits: list[float]) -> st.SearchStrategy[Any]:
    """Values on and next to the card's split points (valid for the column's kind)."""
    if col.kind == "integer":
        near = {float(v) for s in splits for v in (math.floor(s), math.ceil(s))}
    else:
        near = {float(v) for s in splits
                for v in (s, np.nextafter(s, -np.inf), np.nextafter(s, np.inf))}
    ok = sorted(v for v in near if col.check_value(v) is None)
    return st.sampled_from(ok) if ok else valid_value(col)


@st.composite
def applicants(draw: st.DrawFn, base_rows: list[dict[str, Any]],
               splits: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """A generated row with up to 6 values replaced: any valid value, or (when the card's
    ``splits`` are given) a value on or next to a split point."""
    row = dict(base_rows[draw(st.integers(0, len(base_rows) - 1))])
    for name in draw(st.lists(st.sampled_from(sorted(FEATURES)), max_size=6, unique=True)):
        col = FEATURES[name]
        if splits and name in splits and col.kind in ("numeric", "integer") and draw(
                st.booleans()):
            row[name] = draw(boundary_value(col, splits[name]))
        else:
            row[name] = draw(valid_value(col))
    return row
