"""CSV outputs: formula cells neutralised in text columns, anything else untouched."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecard.jobs.outputs import _plain_csv, _write_frame_csv, neutralise_formulas, write_csv


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


_TEXT = st.text(alphabet=st.sampled_from([*"ab-=+@\t',\"\n\r 1.", "é"]), max_size=6)
_FLOAT = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_fast_csv_writer_writes_exactly_what_pandas_writes(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 6))
    frame = pd.DataFrame({
        "id": data.draw(st.lists(_TEXT, min_size=n, max_size=n)),
        "pd": data.draw(st.lists(_FLOAT, min_size=n, max_size=n)),
        "score": data.draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)),
        "code": data.draw(st.lists(st.one_of(st.none(), _TEXT), min_size=n, max_size=n)),
    })
    frame["pd"] = frame["pd"].astype(float)
    frame["score"] = frame["score"].astype("int64")
    frame["code"] = frame["code"].astype(object)
    # The same cells as an arrow table, as predict builds it: text, a dictionary of codes.
    table = pa.table({"id": pa.array(frame["id"].tolist(), pa.string()),
                      "pd": frame["pd"].to_numpy(), "score": frame["score"].to_numpy(),
                      "code": pa.array([None if pd.isna(v) else v for v in frame["code"]],
                                       pa.string()).dictionary_encode()})
    for header in (True, False):
        slow = neutralise_formulas(frame).to_csv(index=False, header=header, lineterminator="\n")
        for cells in (frame, table):
            fast = io.BytesIO()
            _write_frame_csv(fast, cells, header)
            assert fast.getvalue().decode("utf-8") == slow


def test_a_plain_scoring_table_takes_the_fast_writer() -> None:
    frame = pd.DataFrame({"uuid": ["a", "b"], "pd": [0.25, 1e-05], "score": [600, 598]})
    assert _plain_csv(frame, header=True) == b"uuid,pd,score\na,0.25,600\nb,1e-05,598\n"
    table = pa.table({"uuid": ["a", "b"], "pd": [0.25, 1e-05], "score": [600, 598],
                      "reason_1": pa.array(["K01", ""]).dictionary_encode()})
    assert _plain_csv(table, header=False) == b"a,0.25,600,K01\nb,1e-05,598,\n"



def test_an_arrow_backed_text_column_is_written_as_pandas_writes_it(tmp_path) -> None:
    # pandas' "str" dtype hands pyarrow a chunked array (a concatenated selection log has one).
    frame = pd.concat([pd.DataFrame({"feature": ["a", "b_x_c"], "iv": [0.5, 0.25]}),
                       pd.DataFrame({"feature": ["d"], "iv": [0.125]})], ignore_index=True)
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == frame.to_csv(index=False, lineterminator="\n")
