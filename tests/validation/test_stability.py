"""PSI, CSI, IV and VIF against hand computations and statsmodels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.outliers_influence import variance_inflation_factor

from validation.stability import (
    EPS,
    csi,
    csi_table,
    information_value,
    psi,
    psi_status,
    reference_edges,
    vif_table,
)


def _scores(n: int, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(600 + 30 * rng.normal(size=n) + shift)


def test_psi_zero_for_identical_distributions() -> None:
    s = _scores(10000, 0)
    res = psi(s, s.copy())
    assert res.psi == 0.0
    assert res.status == "stable"
    # a same-distribution resample is small but not zero
    assert 0 < psi(s, _scores(10000, 1)).psi < 0.01


def test_psi_grows_with_shift() -> None:
    ref = _scores(20000, 2)
    values = [psi(ref, _scores(20000, 3, shift)).psi for shift in (0, 5, 10, 20, 40)]
    assert np.all(np.diff(values) > 0)
    assert psi_status(values[-1]) == "significant"


def test_psi_by_hand_with_given_edges_and_table() -> None:
    ref = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    tgt = np.array([1.0, 1, 1, 5, 6, 7, 8, 8])
    res = psi(ref, tgt, edges=[3, 6])  # bins (-inf, 3), [3, 6), [6, inf)
    r = np.array([2, 3, 3]) / 8
    t = np.array([3, 1, 4]) / 8
    assert res.psi == pytest.approx(np.sum((t - r) * np.log(t / r)), rel=1e-12)
    assert list(res.table["ref_count"]) == [2, 3, 3]
    assert list(res.table["target_count"]) == [3, 1, 4]
    assert res.table["contribution"].sum() == pytest.approx(res.psi)
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["table"][0]["lower"] is None and d["table"][-1]["upper"] is None


def test_psi_bins_are_reference_deciles_and_empty_bins_are_floored() -> None:
    ref = np.arange(1000.0)
    res = psi(ref, ref)
    assert len(res.table) == 10
    assert np.allclose(res.table["ref_share"], 0.1)
    np.testing.assert_allclose(reference_edges(ref), np.quantile(ref, np.arange(1, 10) / 10))
    # the whole target above the reference range: all mass in the last (open) bin
    far = psi(ref, ref + 10000)
    assert np.isfinite(far.psi)
    r, t = np.full(10, 0.1), np.r_[np.zeros(9), 1.0]
    rf, tf = np.maximum(r, EPS), np.maximum(t, EPS)
    assert far.psi == pytest.approx(np.sum((tf - rf) * np.log(tf / rf)))


def test_csi_matches_psi_on_the_same_bins_and_table_orders_by_shift() -> None:
    ref = _scores(5000, 4)
    tgt = _scores(5000, 5, shift=8)
    edges = reference_edges(ref)
    rb = np.searchsorted(edges, ref, side="right")
    tb = np.searchsorted(edges, tgt, side="right")
    assert csi(rb, tb).psi == pytest.approx(psi(ref, tgt).psi, rel=1e-12)
    assert csi(rb, rb).psi == 0.0
    # string labels and a bin seen only in the target
    labels = np.array(["low", "mid", "high"])
    ref_l = labels[np.r_[np.zeros(50, int), np.ones(50, int)]]
    tgt_l = labels[np.r_[np.zeros(40, int), np.ones(40, int), np.full(20, 2)]]
    res = csi(ref_l, tgt_l)
    assert set(res.table["bin"]) == {"low", "mid", "high"}
    assert res.table.set_index("bin").loc["high", "ref_count"] == 0
    table = csi_table({"stable": rb, "shifted": rb}, {"stable": rb, "shifted": tb})
    assert list(table["characteristic"]) == ["shifted", "stable"]
    assert table.loc[1, "csi"] == 0.0
    with pytest.raises(KeyError):
        csi_table({"a": rb}, {"b": tb})


def test_information_value_by_hand() -> None:
    # bin 0: 40 goods 10 bads; bin 1: 60 goods 40 bads
    bins = np.r_[np.zeros(50, int), np.ones(100, int)]
    y = np.r_[np.zeros(40), np.ones(10), np.zeros(60), np.ones(40)].astype(int)
    res = information_value(y, bins)
    g = np.array([40, 60]) / 100
    b = np.array([10, 40]) / 50
    woe = np.log(g / b)
    assert res.table["woe"].tolist() == pytest.approx(woe.tolist())
    assert res.iv == pytest.approx(np.sum((g - b) * woe))
    assert res.table.loc[0, "woe"] > 0  # the safer bin has positive WoE
    assert res.strength == "medium"  # 0.2 ln 2 + 0.2 ln(4/3) ~ 0.196
    json.dumps(res.to_dict(), allow_nan=False)


def test_information_value_near_zero_for_an_unrelated_characteristic() -> None:
    rng = np.random.default_rng(6)
    y = (rng.random(50000) < 0.1).astype(int)
    bins = rng.integers(0, 5, 50000)
    res = information_value(y, bins)
    assert res.iv < 0.005 and res.strength == "unpredictive"


def test_vif_matches_statsmodels_with_constant() -> None:
    rng = np.random.default_rng(7)
    n = 2000
    a = rng.normal(size=n)
    b = 0.8 * a + 0.6 * rng.normal(size=n)
    c = rng.normal(size=n)
    d = a + b + 0.3 * rng.normal(size=n)
    X = pd.DataFrame({"a": a, "b": b, "c": c, "d": d})
    table = vif_table(X)
    exog = np.column_stack([np.ones(n), X.to_numpy()])
    expected = [variance_inflation_factor(exog, j) for j in range(1, 5)]
    np.testing.assert_allclose(table["vif"], expected, rtol=1e-8)
    assert list(table["feature"]) == ["a", "b", "c", "d"]
    assert table.set_index("feature").loc["d", "high"]
    assert not table.set_index("feature").loc["c", "high"]


def test_vif_collinear_and_constant_columns() -> None:
    rng = np.random.default_rng(8)
    a = rng.normal(size=500)
    b = rng.normal(size=500)
    X = np.column_stack([a, b, a - 2 * b, np.full(500, 3.0)])
    table = vif_table(X)
    assert list(table["feature"]) == ["x0", "x1", "x2", "x3"]
    assert np.isinf(table["vif"][:3]).all()
    assert np.isnan(table["vif"][3])
    with pytest.raises(ValueError, match="finite"):
        vif_table(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_a_single_score_on_each_side_is_a_valid_psi_and_an_empty_side_is_refused() -> None:
    assert psi(np.array([600.0]), np.array([600.0])).psi == 0.0
    for ref, tgt in ((np.array([]), np.array([600.0])), (np.array([600.0]), np.array([]))):
        with pytest.raises(ValueError, match="non-empty"):
            psi(ref, tgt)
    with pytest.raises(ValueError, match="non-empty"):
        csi(np.array([]), np.array([1]))
    assert csi(np.array([1]), np.array([1])).psi == 0.0


@pytest.mark.parametrize("y", [[1, 1, 1], [0, 0, 0]])
def test_information_value_needs_both_goods_and_bads(y: list[int]) -> None:
    with pytest.raises(ValueError, match="both goods and bads"):
        information_value(np.array(y), np.array([0, 1, 1]))


def test_information_value_needs_one_dimensional_arrays_of_the_same_shape() -> None:
    for y, bins in (([0, 1, 1], [0, 1]),  # shapes differ
                    ([[0, 1], [1, 0]], [[0, 1], [1, 1]])):  # same shape, but 2-D
        with pytest.raises(ValueError, match="1-D of the same shape"):
            information_value(np.array(y), np.array(bins))


def test_the_vif_of_two_columns_is_one_over_one_minus_r_squared() -> None:
    # x = (1, 2, 3, 4), z = (1, 3, 2, 4): r = 0.8, so VIF = 1 / (1 - 0.64) = 2.777...
    A = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [4.0, 4.0]])
    t = vif_table(A, names=["x", "z"])
    np.testing.assert_allclose(t["r_squared"], [0.64, 0.64], rtol=1e-12)
    np.testing.assert_allclose(t["vif"], [1 / 0.36, 1 / 0.36], rtol=1e-12)
    assert not t["high"].any()
    assert vif_table(A[:, :1])["vif"].tolist() == [1.0]  # a lone column
