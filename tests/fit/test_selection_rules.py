"""Each selection rule fires on a frame built to trigger it, and the log says why.

WoE is higher for safer bins, so a characteristic that lowers the default risk has a
*negative* coefficient in the model of P(default). The frames are built from a latent risk
``z`` with ``P(default) = 1 / (1 + exp(2 + z))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scorecard.fit.selection import SelectionConfig, select_features

N = 6_000


@pytest.fixture(scope="module")
def base() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(42)
    z1, z2, z3 = rng.normal(size=(3, N))
    y = (rng.random(N) < 1 / (1 + np.exp(2 + 0.9 * z1 + 0.6 * z2 + 0.5 * z3))).astype(int)
    return pd.DataFrame({"a": z1, "b": z2, "c": z3}), y


def _decision(log: pd.DataFrame, feature: str) -> tuple[str, str, str]:
    row = log.set_index("feature").loc[feature]
    return row["decision"], row["step"], row["reason"]


def test_independent_informative_characteristics_are_all_selected(base) -> None:
    woe, y = base
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2}, SelectionConfig())
    assert kept == ["a", "b", "c"]
    assert (log["decision"] == "in").all() and (log["step"] == "final").all()


def test_the_iv_floor_drops_a_weak_characteristic(base) -> None:
    woe, y = base
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.019}, SelectionConfig())
    assert "c" not in kept
    decision, step, reason = _decision(log, "c")
    assert (decision, step) == ("out", "iv") and "0.0190 below the floor 0.02" in reason


def test_a_single_bin_characteristic_is_dropped_as_uninformative(base) -> None:
    woe, y = base
    woe = woe.assign(flat=0.25)
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2, "flat": 0.9},
                                SelectionConfig())
    assert "flat" not in kept and _decision(log, "flat")[:2] == ("out", "iv")


def test_the_correlation_rule_keeps_the_higher_iv_of_two_twins(base) -> None:
    woe, y = base
    rng = np.random.default_rng(1)
    woe = woe.assign(a_twin=woe["a"] + 0.3 * rng.normal(size=N))  # r about 0.96
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2, "a_twin": 0.45},
                                SelectionConfig())
    assert "a_twin" not in kept and "a" in kept
    decision, step, reason = _decision(log, "a_twin")
    assert (decision, step) == ("out", "correlation") and "with a (higher IV)" in reason


def test_the_vif_rule_drops_a_combination_of_others_that_passes_the_correlation_rule(
        base) -> None:
    woe, y = base
    rng = np.random.default_rng(2)
    combo = (woe["a"] + woe["b"] + woe["c"]) / np.sqrt(3) + 0.05 * rng.normal(size=N)
    woe = woe.assign(combo=combo)
    assert woe.corr().loc["combo", ["a", "b", "c"]].abs().max() < 0.8  # passes |r|
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2, "combo": 0.6},
                                SelectionConfig())
    assert "combo" not in kept
    decision, step, reason = _decision(log, "combo")
    assert (decision, step) == ("out", "vif") and "exceeds 5.0" in reason


def test_the_cap_keeps_the_highest_iv_characteristics(base) -> None:
    woe, y = base
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2},
                                SelectionConfig(max_features=2))
    assert kept == ["a", "b"]
    assert _decision(log, "c")[:2] == ("out", "max_features")


def test_a_characteristic_whose_coefficient_would_reverse_points_is_dropped(base) -> None:
    woe, _ = base
    rng = np.random.default_rng(3)
    # Riskier where its WoE is higher: the opposite of what WoE means.
    w = rng.normal(size=N)
    y2 = (rng.random(N) < 1 / (1 + np.exp(2 + 0.9 * woe["a"] - 0.8 * w))).astype(int)
    kept, log = select_features(woe[["a"]].assign(w=w), y2, {"a": 0.5, "w": 0.3},
                                SelectionConfig())
    assert kept == ["a"]
    decision, step, reason = _decision(log, "w")
    assert (decision, step) == ("out", "sign") and "is not negative" in reason


def test_an_insignificant_characteristic_is_eliminated_on_its_p_value(base) -> None:
    woe, y = base
    noise = np.random.default_rng(15).normal(size=N)  # a negative coefficient, p = 0.60
    kept, log = select_features(woe.assign(noise=noise), y,
                                {"a": 0.5, "b": 0.3, "c": 0.2, "noise": 0.05},
                                SelectionConfig())
    assert kept == ["a", "b", "c"]
    decision, step, reason = _decision(log, "noise")
    assert (decision, step) == ("out", "significance") and "above 0.05" in reason
    # The same column passes when the threshold allows it.
    kept, _ = select_features(woe.assign(noise=noise), y,
                              {"a": 0.5, "b": 0.3, "c": 0.2, "noise": 0.05},
                              SelectionConfig(max_pvalue=0.7))
    assert "noise" in kept


def test_design_exclusions_are_logged_with_their_reason(base) -> None:
    woe, y = base
    _, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2}, SelectionConfig(),
                             excluded={"time_hours": "not a credit characteristic"})
    assert _decision(log, "time_hours") == ("out", "design", "not a credit characteristic")


def test_the_default_thresholds_are_the_documented_ones() -> None:
    c = SelectionConfig()
    assert (c.min_iv, c.max_corr, c.max_vif, c.max_pvalue, c.max_features) == (
        0.02, 0.8, 5.0, 0.05, 20)


def test_an_iv_exactly_at_the_floor_is_kept(base) -> None:
    woe, y = base
    kept, _ = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.02}, SelectionConfig())
    assert "c" in kept


def test_the_correlation_rule_checks_every_kept_characteristic_not_just_the_first(
        base) -> None:
    woe, y = base
    rng = np.random.default_rng(4)
    # Close to b (kept second), unrelated to a (kept first).
    woe = woe.assign(b_twin=woe["b"] + 0.3 * rng.normal(size=N))
    kept, log = select_features(woe, y, {"a": 0.5, "b": 0.3, "c": 0.2, "b_twin": 0.25},
                                SelectionConfig())
    assert "b_twin" not in kept
    assert "with b (higher IV)" in _decision(log, "b_twin")[2]


def test_a_correlation_exactly_at_the_limit_is_allowed(base) -> None:
    woe, y = base
    rng = np.random.default_rng(1)
    woe = woe.assign(a_twin=woe["a"] + 0.3 * rng.normal(size=N))
    r = abs(float(np.corrcoef(woe["a_twin"], woe["a"])[0, 1]))  # as the rule computes it
    iv = {"a": 0.5, "b": 0.3, "c": 0.2, "a_twin": 0.45}
    loose = {"max_vif": 100.0, "backward": False}  # only the correlation rule acts
    kept, _ = select_features(woe, y, iv, SelectionConfig(max_corr=r, **loose))
    assert "a_twin" in kept
    kept, _ = select_features(woe, y, iv, SelectionConfig(max_corr=np.nextafter(r, 0), **loose))
    assert "a_twin" not in kept


def test_the_vif_rule_judges_a_pair_of_characteristics(base) -> None:
    # r about 0.96 -> VIF about 12.5 for both; the correlation limit is lifted so only the
    # VIF rule can act, and it drops the one of the two with the larger VIF.
    woe, y = base
    rng = np.random.default_rng(1)
    pair = pd.DataFrame({"a": woe["a"], "a_twin": woe["a"] + 0.3 * rng.normal(size=N)})
    kept, log = select_features(pair, y, {"a": 0.5, "a_twin": 0.45},
                                SelectionConfig(max_corr=0.99, backward=False))
    assert len(kept) == 1
    assert (log["step"] == "vif").sum() == 1


def test_a_vif_exactly_at_the_limit_is_allowed(base) -> None:
    from validation.stability import vif_table

    woe, y = base
    rng = np.random.default_rng(2)
    combo = (woe["a"] + woe["b"] + woe["c"]) / np.sqrt(3) + 0.05 * rng.normal(size=N)
    woe = woe.assign(combo=combo)
    top = float(vif_table(woe[["combo", "a", "b", "c"]])["vif"].max())
    iv = {"a": 0.5, "b": 0.3, "c": 0.2, "combo": 0.6}
    kept, _ = select_features(woe, y, iv, SelectionConfig(max_vif=top, backward=False))
    assert kept == ["combo", "a", "b", "c"]


def test_a_single_characteristic_is_never_dropped_on_its_vif(base) -> None:
    # The VIF of a lone column is 1: meaningless, so even a limit below 1 keeps it.
    woe, y = base
    kept, log = select_features(woe[["a"]], y, {"a": 0.5},
                                SelectionConfig(max_vif=0.5, backward=False))
    assert kept == ["a"] and _decision(log, "a")[:2] == ("in", "final")


def test_without_backward_elimination_an_insignificant_characteristic_stays(base) -> None:
    woe, y = base
    noise = np.random.default_rng(15).normal(size=N)  # p = 0.60 in the WoE logit
    kept, log = select_features(woe.assign(noise=noise), y,
                                {"a": 0.5, "b": 0.3, "c": 0.2, "noise": 0.05},
                                SelectionConfig(backward=False))
    assert kept == ["a", "b", "c", "noise"]
    decision, step, reason = _decision(log, "noise")
    assert (decision, step) == ("in", "final") and "no WoE-logit elimination" in reason


def test_nothing_above_the_iv_floor_selects_nothing(base) -> None:
    woe, y = base
    kept, log = select_features(woe, y, {"a": 0.01, "b": 0.01, "c": 0.01}, SelectionConfig())
    assert kept == [] and (log["step"] == "iv").all()


def test_a_p_value_exactly_at_the_limit_is_allowed(base) -> None:
    from scorecard.fit.logit import fit_logit

    woe, y = base
    frame = woe.assign(noise=np.random.default_rng(15).normal(size=N))
    p = float(fit_logit(frame[["a", "b", "c", "noise"]], y).pvalues["noise"])
    iv = {"a": 0.5, "b": 0.3, "c": 0.2, "noise": 0.05}
    kept, _ = select_features(frame, y, iv, SelectionConfig(max_pvalue=p))
    assert kept == ["a", "b", "c", "noise"]


def test_a_coefficient_of_exactly_zero_fails_the_sign_rule() -> None:
    # w = +-1 with the same default rate at either value: the logit's coefficient is 0.0
    # exactly (every Newton step for w is 0), and 0 is not negative.
    w = np.tile([1.0, -1.0], 500)
    y = np.repeat([1, 0], [200, 800])
    kept, log = select_features(pd.DataFrame({"w": w}), y, {"w": 0.1}, SelectionConfig())
    assert kept == []
    decision, step, reason = _decision(log, "w")
    assert (decision, step) == ("out", "sign") and "+0.0000" in reason
