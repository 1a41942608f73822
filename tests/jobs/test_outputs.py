"""CSV outputs: formula cells neutralised in text columns, anything else untouched."""

from __future__ import annotations

import pandas as pd

from scorecard.jobs.outputs import neutralise_formulas


def test_an_object_column_without_text_passes_through() -> None:
    frame = pd.DataFrame({"bin": pd.Series([0, 1, -2], dtype=object),
                          "label": ["=SUM(A1)", "ok", None]})
    out = neutralise_formulas(frame)
    assert out["bin"].tolist() == [0, 1, -2]
    assert out["label"].tolist()[:2] == ["'=SUM(A1)", "ok"]
    assert pd.isna(out["label"].iloc[2])


def test_mixed_text_and_numbers_in_one_column_change_only_the_formula_text() -> None:
    frame = pd.DataFrame({"x": pd.Series(["-1", -1, "@x", 3.5], dtype=object)})
    assert neutralise_formulas(frame)["x"].tolist() == ["'-1", -1, "'@x", 3.5]
