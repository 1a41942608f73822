"""JSON-plain values: numpy scalars, tuples and frames turned into built-in Python values.

The one place where the validation package converts its results for ``metrics.json``, the
``to_dict()`` methods of the metric results and the report's tables, and where a published
fitted figure is rounded (:func:`rounded`, :func:`rounded_frame`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """Convert numpy scalars / tuples to JSON-ready Python values; non-finite floats -> None."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a frame (or an already plain list of rows) as dicts of plain values."""
    rows = frame.to_dict(orient="records") if isinstance(frame, pd.DataFrame) else frame or []
    return [{k: plain(v) for k, v in row.items()} for row in rows]


def rounded(x: Any) -> float | int | None:
    """A figure for ``metrics.json``: floats to 6 significant digits (``None`` for missing or
    non-finite), so last-bit noise in a BLAS call does not churn the committed file."""
    x = plain(x)
    if x is None or isinstance(x, int):  # bool is an int: True -> 1
        return None if x is None else int(x)
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else None


def rounded_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every float column to 6 significant digits as :func:`rounded` does
    (missing stays missing): a fitted table as published, e.g. a card's coefficients."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_float_dtype(out[name]):
            out[name] = [rounded(v) if math.isfinite(v) else v
                         for v in out[name].to_numpy(dtype=float)]
    return out
