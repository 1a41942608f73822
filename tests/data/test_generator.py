"""The synthetic Klarna generator: determinism, format, contract, joint rules, acceptance."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from sklearn.metrics import roc_auc_score

from scorecard.data.contract import KLARNA, MERCHANT_CATEGORIES
from scorecard.data.files import read_dataset
from scorecard.data.synthetic.generator import (
    DEFAULT_ROWS,
    DEFAULT_UNLABELLED,
    generate,
    truth_path,
    write_generated,
)
from scorecard.data.synthetic.realism import MAX_KS, MAX_MISSING_DIFF_PP, MAX_TV, realism_table

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def default_data(tmp_path_factory: pytest.TempPathFactory,
                 ) -> tuple[Path, Path, pd.DataFrame, np.ndarray]:
    """The default-size data set (seed 0), written once for the module."""
    out = tmp_path_factory.mktemp("generated") / "dataset.csv"
    return write_generated(out, DEFAULT_ROWS, DEFAULT_UNLABELLED, seed=0)


@pytest.fixture(scope="module")
def default_frame(default_data: tuple[Path, Path, pd.DataFrame, np.ndarray]) -> pd.DataFrame:
    return default_data[2]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n / "d.csv" for n in ("a", "b", "c"))
    write_generated(a, rows=3_000, unlabelled=300, seed=11)
    write_generated(b, rows=3_000, unlabelled=300, seed=11)
    write_generated(c, rows=3_000, unlabelled=300, seed=12)
    assert a.read_bytes() == b.read_bytes()
    assert truth_path(a).read_bytes() == truth_path(b).read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert truth_path(a).read_bytes() != truth_path(c).read_bytes()


def test_generate_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="n_unlabelled"):
        generate(100, 101)
    with pytest.raises(ValueError, match="n_rows"):
        generate(0, 0)


# --------------------------------------------------------------------------- format, contract


def test_file_reads_back_as_the_returned_frame(default_data: tuple) -> None:
    path, _, frame, _ = default_data
    dataset = read_dataset(path, KLARNA)  # raises ContractError on any violation
    pdt.assert_frame_equal(dataset.frame, frame)
    assert list(frame.columns) == KLARNA.names
    assert frame.shape == (DEFAULT_ROWS, 43)
    assert len(dataset.labelled) == DEFAULT_ROWS - DEFAULT_UNLABELLED
    assert len(dataset.to_predict) == DEFAULT_UNLABELLED


def test_header_is_the_real_files_header(default_data: tuple, klarna_real_path: Path) -> None:
    generated = default_data[0].read_text().split("\n", 1)[0]
    real = klarna_real_path.read_text().split("\n", 1)[0]
    assert generated == real


def test_dtypes_match_the_reader(default_frame: pd.DataFrame) -> None:
    for col in KLARNA.columns:
        dtype = default_frame[col.name].dtype
        if col.kind == "boolean":
            assert dtype == np.dtype(bool), col.name
        elif col.kind in ("id", "category"):
            assert dtype == np.dtype(object), col.name
        else:
            assert dtype == np.float64, col.name


def test_uuids_are_unique_uuid4(default_frame: pd.DataFrame) -> None:
    ids = default_frame["uuid"]
    assert ids.is_unique
    assert ids.map(lambda s: bool(UUID4.match(s))).all()


def test_rows_to_predict_are_at_random_positions(default_frame: pd.DataFrame) -> None:
    na = default_frame["default"].isna().to_numpy()
    assert na.sum() == DEFAULT_UNLABELLED
    assert not na[-DEFAULT_UNLABELLED:].all()
    # spread over the file: each tenth holds roughly a tenth of them
    per_tenth = np.array([c.sum() for c in np.array_split(na, 10)])
    assert per_tenth.min() > 0.8 * DEFAULT_UNLABELLED / 10
    labels = default_frame.loc[~na, "default"]
    assert set(labels.unique()) == {0.0, 1.0}


def test_values_have_the_real_granularity(default_data: tuple) -> None:
    frame = default_data[2]
    for col in KLARNA.columns:
        if col.kind in ("integer", "code") or (col.kind == "numeric"
                                               and col.csv_format == "int"):
            x = frame[col.name].dropna().to_numpy()
            assert np.array_equal(x, np.round(x)), col.name
    for name in ("max_paid_inv_0_12m", "max_paid_inv_0_24m"):  # whole amounts written as 1.0
        x = frame[name].to_numpy()
        assert np.array_equal(x, np.round(x)), name
    seconds = frame["time_hours"].to_numpy() * 3600
    assert np.allclose(seconds, np.round(seconds), atol=1e-6)
    # floats are written with at most 15 significant digits, as the case's file does
    text = default_data[0].read_text()
    longest = max(len(m.replace(".", "").lstrip("0"))
                  for m in re.findall(r"(?<=;)\d+\.\d+(?=;|\n)", text[:2_000_000]))
    assert longest <= 15


# --------------------------------------------------------------------------- joint rules


def test_blocks_missing_together(default_frame: pd.DataFrame) -> None:
    f = default_frame
    na = f.isna()
    assert (na["worst_status_active_inv"] == (f["num_active_inv"] == 0)).all()
    account = ["account_worst_status_0_3m", "account_worst_status_3_6m",
               "account_worst_status_6_12m", "account_worst_status_12_24m",
               "account_incoming_debt_vs_paid_0_24m"]
    no_account = na["account_status"]
    assert (na["account_worst_status_0_3m"] == no_account).all()
    assert na.loc[no_account, account].all().all()
    for name in ("account_amount_added_12_24m", "sum_capital_paid_account_0_12m",
                 "sum_capital_paid_account_12_24m"):
        assert (f.loc[no_account, name] == 0).all(), name
    days = ["account_days_in_dc_12_24m", "account_days_in_rem_12_24m",
            "account_days_in_term_12_24m"]
    assert (na[days].sum(axis=1) % len(days) == 0).all()  # all three missing or none
    assert no_account[na["account_days_in_dc_12_24m"]].all()
    assert (na["account_worst_status_12_24m"] | ~na["account_worst_status_6_12m"]).all()
    assert (na["num_arch_written_off_0_12m"] == na["num_arch_written_off_12_24m"]).all()
    assert (na["avg_payment_span_0_3m"] | ~na["avg_payment_span_0_12m"]).all()
    assert (~na["num_active_div_by_paid_inv_0_12m"] | na["avg_payment_span_0_12m"]).all()


def test_counts_and_amounts_bound_each_other(default_frame: pd.DataFrame) -> None:
    f = default_frame
    assert (f["max_paid_inv_0_24m"] >= f["max_paid_inv_0_12m"]).all()
    assert (f["sum_paid_inv_0_12m"] >= f["max_paid_inv_0_12m"]).all()
    assert ((f["sum_paid_inv_0_12m"] == 0) == (f["max_paid_inv_0_12m"] == 0)).all()
    assert (f["num_unpaid_bills"] >= f["num_active_inv"]).all()
    div = f["num_active_div_by_paid_inv_0_12m"]
    assert ((div == 0) == (f["num_active_inv"] == 0))[div.notna()].all()


def test_archived_statuses_are_consistent(default_frame: pd.DataFrame) -> None:
    f = default_frame
    m6, m12, m24 = (f[f"status_max_archived_0_{w}_months"] for w in (6, 12, 24))
    last, second, third = (f[f"status_{s}_archived_0_24m"] for s in ("last", "2nd_last",
                                                                       "3rd_last"))
    assert ((m24 >= m12) & (m12 >= m6)).all()
    assert ((m24 >= last) & (m24 >= second) & (m24 >= third)).all()
    assert ((m24 == 0) == (last == 0)).all()
    assert ((last > 0) | (second == 0)).all() and ((second > 0) | (third == 0)).all()
    assert ((m12 == 0) | (last <= m12)).all() and ((m6 == 0) | (last <= m6)).all()
    worst_12m = np.select([f["num_arch_dc_0_12m"] > 0, f["num_arch_rem_0_12m"] > 0,
                           f["num_arch_ok_0_12m"] > 0], [3.0, 2.0, 1.0], 0.0)
    assert (m12.to_numpy() == worst_12m).all()


def test_merchant_group_follows_category(default_frame: pd.DataFrame) -> None:
    f = default_frame
    assert (f["merchant_category"].map(MERCHANT_CATEGORIES) == f["merchant_group"]).all()


# --------------------------------------------------------------------------- acceptance


def test_default_rate_and_oracle_auc(default_data: tuple) -> None:
    _, _, frame, pd_true = default_data
    labelled = frame["default"].notna().to_numpy()
    y = frame.loc[labelled, "default"].to_numpy()
    assert abs(y.mean() - 0.0143) <= 0.0010
    assert 0.88 <= roc_auc_score(y, pd_true[labelled]) <= 0.93
    assert 0.0133 <= pd_true.mean() <= 0.0153


def test_truth_file_format(default_data: tuple) -> None:
    path, tpath, frame, pd_true = default_data
    assert tpath == path.with_name("dataset.truth.csv")
    lines = tpath.read_text().splitlines()
    assert lines[0] == "uuid,true_pd"
    assert len(lines) == len(frame) + 1
    truth = pd.read_csv(tpath, dtype={"uuid": str})
    assert list(truth["uuid"]) == list(frame["uuid"])
    # full precision: the written repr parses back to the very same float
    assert np.array_equal(truth["true_pd"].to_numpy(), pd_true)
    assert ((pd_true > 0) & (pd_true < 1)).all()


@pytest.mark.shared
def test_realism_against_real_rows(default_frame: pd.DataFrame, klarna_real_path: Path) -> None:
    real = read_dataset(klarna_real_path).frame
    table = realism_table(default_frame, real).set_index("column")
    assert len(table) == len(KLARNA.features)
    assert (table["missing_diff_pp"].abs() <= MAX_MISSING_DIFF_PP).all(), table
    ks = table[table["metric"] == "KS"]["distance"]
    tv = table[table["metric"] == "TV"]["distance"]
    assert (ks <= MAX_KS).all(), ks.sort_values().tail()
    assert (tv <= MAX_TV).all(), tv.sort_values().tail()
    for name in ("merchant_category", "merchant_group", "name_in_email", "has_paid",
                 "status_max_archived_0_24_months", "account_status"):
        assert table.loc[name, "metric"] == "TV"
    assert table["passed"].all()
