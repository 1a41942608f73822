"""The one JSON-plain conversion of the validation package: numpy values become built-in
ones, non-finite floats become ``None``, figures for metrics.json keep six digits."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from validation.plain import plain, records, rounded


def test_numpy_values_become_plain_and_non_finite_become_none() -> None:
    value = {"a": np.float64(0.5), "b": (np.int64(3), np.bool_(True)), "c": np.array([1.0]),
             "d": float("nan"), "e": np.float32(np.inf)}
    out = plain(value)
    assert out == {"a": 0.5, "b": [3, True], "c": [1.0], "d": None, "e": None}
    assert type(out["b"][0]) is int and type(out["b"][1]) is bool
    json.dumps(out, allow_nan=False)


def test_records_of_a_frame_are_plain_rows() -> None:
    frame = pd.DataFrame({"k": ["x", "y"], "n": [1, 2], "v": [0.25, math.nan]})
    rows = records(frame)
    assert rows == [{"k": "x", "n": 1, "v": 0.25}, {"k": "y", "n": 2, "v": None}]
    assert type(rows[0]["n"]) is int
    assert records(None) == [] and records(rows) == rows


def test_rounded_keeps_six_significant_digits() -> None:
    assert rounded(np.float64(0.123456789)) == 0.123457
    assert rounded(123456789.0) == 123457000.0
    assert rounded(np.bool_(True)) == 1 and rounded(np.int64(7)) == 7
    assert rounded(None) is None and rounded(float("inf")) is None
