"""The joint card: points per bin from a penalised, sign-constrained logit on bin steps.

Frames are built here with a known true pd: HELOC-like characteristics (declared and
undeclared trends, a special code, a categorical), two of them strongly correlated with
different true shapes, so the classic card (WoE x one coefficient) cannot fit both.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.special import expit

from scorecard.card.artifact import dumps
from scorecard.data.contract import Column, Contract
from scorecard.fit.binning import WoEBinner
from scorecard.fit.estimator import Scorecard
from scorecard.fit.joint import (
    POLISH_STEPS,
    FeatureCoding,
    bin_indices,
    difference_matrix,
    penalty_matrix,
    penalty_weights,
    polish,
    solve,
    trend_sign,
)
from scorecard.fit.spec import DatasetSpec
from scorecard.fit.validate import settings_record
from validation.calibration import log_loss
from validation.discrimination import roc_auc

CONTRACT = Contract(
    name="toy",
    columns=(
        Column("uid", "id"),
        Column("bad", "target", allowed=(0, 1)),
        Column("score_a", "numeric", min=0, max=100),  # declared: higher is safer
        Column("util_b", "numeric", min=0, max=100),  # declared: higher is riskier
        Column("months_c", "numeric", nullable=True, min=-9, max=400),  # detected, special -9
        Column("region", "category", allowed=("n", "s", "e", "w")),
    ),
    id_column="uid", target="bad", separator=",", na_value="",
)
SPEC = DatasetSpec(name="toy", contract=CONTRACT, categorical=("region",),
                   special_codes={"months_c": {"no record (-9)": [-9]}},
                   monotonic={"score_a": "descending", "util_b": "ascending"})
# Every other parameter resolves from the one table of method defaults.
JOINT = {"method": "joint"}
WOE = {"method": "woe"}


def toy_frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows, 0/1 labels drawn from the true pd, and that true pd."""
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0], [[1.0, -0.8], [-0.8, 1.0]], n)
    a = np.clip(np.round(50 + 15 * z[:, 0]), 0, 100)
    b = np.clip(np.round(50 + 15 * z[:, 1]), 0, 100)
    months = np.round(rng.gamma(2.0, 40.0, n))
    special = rng.random(n) < 0.1
    months = np.where(special, -9.0, months)
    months = np.where(rng.random(n) < 0.05, np.nan, months)
    region = rng.choice(np.array(["n", "s", "e", "w"], dtype=object), n)
    # Different true shapes on two correlated characteristics: a cliff in score_a and a
    # convex rise in util_b; each one's univariate WoE mixes in the other's shape.
    logit = (-2.2 - 1.6 * (a > 55) + 0.0004 * np.maximum(b - 40, 0) ** 2
             - 0.5 * np.log1p(np.where(special | np.isnan(months), 0, months)) / 3
             + 0.8 * special + np.select([region == "n", region == "s"], [0.4, -0.3], 0.0))
    pd_true = expit(logit)
    y = (rng.random(n) < pd_true).astype(int)
    frame = pd.DataFrame({"uid": [f"r{seed}_{i}" for i in range(n)], "bad": y.astype(float),
                          "score_a": a, "util_b": b, "months_c": months, "region": region})
    return frame, y, pd_true


@pytest.fixture(scope="module")
def train() -> tuple[pd.DataFrame, np.ndarray]:
    frame, y, _ = toy_frame(20_000, seed=1)
    return frame, y


@pytest.fixture(scope="module")
def test_rows() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    return toy_frame(40_000, seed=2)


@pytest.fixture(scope="module")
def joint(train) -> Scorecard:
    X, y = train
    return Scorecard(SPEC, **JOINT).fit(X, y)


def test_points_follow_declared_and_detected_trends_exactly(joint) -> None:
    artifact = joint.to_artifact({}, {})
    checked = set()
    for f in artifact["features"]:
        sign = joint.joint_.codings_[f["name"]].sign  # a detected trend: its joint direction
        regular = [b["points"] for b in f["bins"] if b["type"] == "regular"]
        if sign == 1:  # default rate rises with the value: points never rise
            assert all(p >= q for p, q in pairwise(regular)), f["name"]
            checked.add(f["name"])
        elif sign == -1:
            assert all(p <= q for p, q in pairwise(regular)), f["name"]
            checked.add(f["name"])
    # both declared trends and the detected one (months_c, trend left to the binning)
    assert {"score_a", "util_b", "months_c"} <= checked
    assert joint.binner_.bins_["months_c"].trend == "auto_asc_desc"
    assert joint.joint_.directions_ == {"months_c": trend_sign(joint.binner_.bins_["months_c"])}
    # the unrounded contributions are monotone too: the bounds hold, not just the rounding
    c = joint.joint_.contributions_["util_b"][:joint.binner_.bins_["util_b"].n_regular]
    assert (np.diff(c) >= -1e-12).all()
    # finer bins than the classic card's eight, each with enough defaults
    table = joint.binner_.bins_["util_b"].table
    regular = table[table["type"] == "regular"]
    assert len(regular) > 8 and (regular["event"] >= joint.binning_["min_bin_n_event"]).all()


def test_joint_card_beats_the_woe_card_when_correlated_shapes_need_correcting(
        train, test_rows, joint) -> None:
    X, y = train
    X_te, y_te, pd_true = test_rows
    woe = Scorecard(SPEC, **WOE).fit(X, y)
    p_joint, p_woe = joint.predict_proba(X_te)[:, 1], woe.predict_proba(X_te)[:, 1]
    assert roc_auc(y_te, p_joint) >= roc_auc(y_te, p_woe)
    assert log_loss(y_te, p_joint) < log_loss(y_te, p_woe)
    # closer to the known truth, not just to the drawn labels
    assert np.mean(np.abs(p_joint - pd_true)) < np.mean(np.abs(p_woe - pd_true))


def test_the_same_data_gives_a_byte_identical_artifact(train, joint) -> None:
    X, y = train
    again = Scorecard(SPEC, **JOINT).fit(X, y)
    assert dumps(again.to_artifact({}, {})) == dumps(joint.to_artifact({}, {}))
    pd.testing.assert_frame_equal(again.coefficients_, joint.coefficients_)


def test_the_penalty_is_the_inner_cv_choice_on_the_grid(train) -> None:
    X, y = train
    grid = (50.0, 5.0, 0.5)
    card = Scorecard(SPEC, **JOINT, penalty_grid=grid).fit(X.iloc[:12_000], y[:12_000])
    res = card.joint_.cv_results_
    assert res["penalty"] == list(grid) * len(card.smoothness_grid_)
    assert card.joint_.penalty_ in grid
    assert card.joint_.penalty_ == res["penalty"][int(np.argmin(res["mean_log_loss"]))]
    # (that holdout rows never reach it is tests/jobs/test_holdout_isolation.py: the
    # published card there is the spec's default, the joint card)
    # a single penalty is used as given, without inner CV
    fixed = Scorecard(SPEC, **JOINT, penalty_grid=(7.0,), smoothness_grid=(0.0,)).fit(
        X.iloc[:12_000], y[:12_000])
    assert fixed.joint_.penalty_ == 7.0 and fixed.joint_.cv_results_["mean_log_loss"] == [None]


def test_a_card_without_a_difference_penalty_records_no_smoothness(joint) -> None:
    assert joint.smoothness_grid_ == (0.0,) and joint.joint_.smoothness_ == 0.0
    assert "joint_smoothness_grid" not in settings_record(joint, 0.3, False, 5, 2, False)


def test_standard_errors_are_positive_and_finite(joint) -> None:
    t = joint.coefficients_
    assert t["term"].iloc[0] == "const"
    assert np.isfinite(t["std_err"]).all() and (t["std_err"] > 0).all()
    steps = t[t["kind"] != "intercept"]
    assert np.isfinite(steps["bin_contribution_se"]).all()
    assert (steps["bin_contribution_se"] > 0).all()
    # one row per bin indicator: every bin but each characteristic's baseline and empty bins
    n_params = sum(c.A.shape[1] for c in joint.joint_.codings_.values())
    assert len(steps) == n_params == len(joint.joint_.coef_)
    assert (t["ci_low"] < t["coef"]).all() and (t["coef"] < t["ci_high"]).all()


def test_integer_points_reproduce_the_joint_logit_within_the_rounding_bound(
        joint, test_rows) -> None:
    X_te, _, _ = test_rows
    result = joint.engine().score(X_te)
    logit = joint.joint_.logit(joint._bins(X_te), joint._counts())
    raw = joint.scaling_.offset - joint.scaling_.factor * logit
    np.testing.assert_allclose(joint.raw_score(X_te), raw)
    k = len(joint.features_)
    assert np.max(np.abs(result.score - raw)) <= 0.5 * (k + 1)
    # the rounding is unbiased: the typical applicant is not shifted by k half-points
    assert abs(float(np.mean(result.score - raw))) < 0.5
    artifact = joint.to_artifact({}, {})
    assert all(f["coefficient"] == 1.0 for f in artifact["features"])
    woe = {f["name"]: [b["woe"] for b in f["bins"]] for f in artifact["features"]}
    for name, values in woe.items():  # the binning table's univariate WoE, unchanged
        assert values == pytest.approx(joint.binner_.bins_[name].table["woe"].tolist())


def test_the_penalty_weighs_each_parameter_by_its_columns_variance() -> None:
    rng = np.random.default_rng(0)
    n = 20_000
    tail = (rng.random(n) < 0.02).astype(float)  # a step into a 2 % tail bin
    mid = (rng.random(n) < 0.5).astype(float)  # a step in the middle of the distribution
    X = sparse.csr_matrix(np.column_stack([tail, mid]))
    w = penalty_weights(X)
    var = np.array([tail.var(), mid.var()])
    np.testing.assert_allclose(w, var / var.mean())
    # The same true effect (+1 in log-odds) on both: one shared weight shrinks the tail step
    # far harder than the middle one; weighted by variance, much less so.
    y = (rng.random(n) < expit(-2.0 + tail + mid)).astype(float)
    free = [(None, None)] * 2
    uniform = solve(X, y, 2000.0, free)[1:]
    weighted = solve(X, y, 2000.0 * w, free)[1:]
    assert uniform[0] / uniform[1] < 0.5 * weighted[0] / weighted[1]


def test_a_rare_risky_value_gets_its_own_bin_when_the_defaults_support_it() -> None:
    X, _, _ = toy_frame(20_000, seed=3)
    rng = np.random.default_rng(3)
    rare = rng.random(len(X)) < 0.03  # 3 % of rows, six times the default rate
    X = X.assign(util_b=np.where(rare, 80.0, 10.0))
    y = (rng.random(len(X)) < np.where(rare, 0.3, 0.05)).astype(int)
    fine = WoEBinner(SPEC, min_bin_share=0.01, min_bin_n_event=30).fit(X, y)
    assert fine.bins_["util_b"].n_regular == 2  # the pre-bins follow the 1 % floor
    # optbinning's own 5 % pre-bin floor would leave the rare value no bin of its own
    coarse = WoEBinner(SPEC, min_bin_share=0.01, min_bin_n_event=30,
                       min_prebin_size=0.05).fit(X, y)
    assert coarse.bins_["util_b"].n_regular == 1


def test_the_difference_penalty_joins_adjacent_steps_of_each_numeric_characteristic() -> None:
    def coding(name: str, kinds: list[str]) -> FeatureCoding:
        return FeatureCoding(name, 0, 0, np.zeros((len(kinds) + 1, len(kinds))),
                             kinds=kinds)

    D = difference_matrix({"a": coding("a", ["step", "step", "step", "missing"]),
                           "b": coding("b", ["category", "category"]),
                           "c": coding("c", ["step", "step"])})
    # beta_2 - beta_1 and beta_3 - beta_2 of "a", beta_8 - beta_7 of "c"; nothing across
    # characteristics, nothing on special, missing or category parameters
    expected = np.zeros((3, 8))
    expected[0, [0, 1]] = [-1, 1]
    expected[1, [1, 2]] = [-1, 1]
    expected[2, [6, 7]] = [-1, 1]
    np.testing.assert_array_equal(D.toarray(), expected)


def test_the_smoothness_is_the_inner_cv_choice_and_straightens_fine_bins(train) -> None:
    X, y = train
    X, y = X.iloc[:12_000], y[:12_000]
    grid = (1e4, 0.0)
    card = Scorecard(SPEC, **JOINT, penalty_grid=(30.0, 3.0), smoothness_grid=grid).fit(X, y)
    res = card.joint_.cv_results_
    assert res["smoothness"] == [1e4, 1e4, 0.0, 0.0] and res["penalty"] == [30.0, 3.0] * 2
    best = int(np.argmin(res["mean_log_loss"]))
    assert (card.joint_.smoothness_, card.joint_.penalty_) == (
        res["smoothness"][best], res["penalty"][best])
    # the card's recorded config names the grid (only when one is tried: older cards' bytes)
    assert settings_record(card, 0.3, False, 5, 2, False)["joint_smoothness_grid"] == [1e4, 0.0]
    # a strong second-order penalty holds the steps of a characteristic nearly equal: its
    # regular bins' contributions bend far less than without it, and stay monotone
    def bend(smoothness: float) -> tuple[float, np.ndarray]:
        c = Scorecard(SPEC, **JOINT, penalty_grid=(3.0,), smoothness_grid=(smoothness,)).fit(
            X, y)
        contrib = c.joint_.contributions_["util_b"][:c.binner_.bins_["util_b"].n_regular]
        return float(np.abs(np.diff(contrib, 2)).sum()), contrib
    free, _ = bend(0.0)
    held, contrib = bend(1e4)
    assert held < 0.2 * free
    assert (np.diff(contrib) >= -1e-12).all()


LOAN = Contract(
    name="loan",
    columns=(Column("uid", "id"), Column("bad", "target", allowed=(0, 1)),
             Column("amount", "numeric", min=0), Column("price", "numeric", min=0)),
    id_column="uid", target="bad", separator=",", na_value="",
)


def test_a_detected_trend_takes_its_direction_given_the_other_characteristics() -> None:
    """Risk rises with the loan's amount and falls with the price it buys at the same
    amount (the loan-to-value). Alone, a higher price means a larger loan, so its default
    rate rises; given the amount it falls. A bound in the direction seen alone pins the
    price's points at zero; the joint direction lets them fall, says so in the selection log
    and fits the held-out rows better."""
    def frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
        rng = np.random.default_rng(seed)
        price = np.round(rng.lognormal(9.0, 0.6, n))
        amount = np.round(price * rng.uniform(0.3, 1.0, n))
        logit = -2.0 + 1.2 * np.log(amount / np.exp(9.0)) + 3.0 * (amount / price - 0.65)
        y = (rng.random(n) < expit(logit)).astype(int)
        return pd.DataFrame({"uid": [f"l{seed}_{i}" for i in range(n)], "bad": y.astype(float),
                             "amount": amount, "price": price}), y

    spec = DatasetSpec(name="loan", contract=LOAN)
    (X, y), (X_te, y_te) = frame(20_000, 1), frame(20_000, 2)
    card = Scorecard(spec, interactions="none", **JOINT).fit(X, y)
    assert trend_sign(card.binner_.bins_["price"]) == 1  # alone: riskier with the price
    assert card.joint_.directions_["price"] == -1
    points = card.points_["price"][:card.binner_.bins_["price"].n_regular]
    assert (np.diff(points) >= 0).all() and points[-1] - points[0] >= 20  # safer, by a lot
    log = card.selection_log_.set_index("feature")
    assert "ascending on its own but descending given the other" in log.loc["price", "reason"]

    # The same card with the price's trend declared as seen alone: held at zero.
    declared = DatasetSpec(name="loan", contract=LOAN, monotonic={"price": "ascending"})
    marginal = Scorecard(declared, interactions="none", **JOINT).fit(X, y)
    assert "price" not in marginal.joint_.directions_
    assert (marginal.points_["price"] == marginal.points_["price"][0]).all()
    assert (log_loss(y_te, card.predict_proba(X_te)[:, 1])
            < log_loss(y_te, marginal.predict_proba(X_te)[:, 1]))


def test_the_final_fit_is_the_optimum_wherever_the_solver_stopped(joint, train) -> None:
    # A CPU with other vector units adds in another order, and L-BFGS-B stops somewhere
    # else near the optimum; the polished solution must not move beyond the last bits.
    X, y = train
    j = joint.joint_
    binned = {n: joint.binner_.bins_[n] for n in joint.features_}
    Xd = j.design({n: bin_indices(fb, X[n]) for n, fb in binned.items()})
    yf = y.astype(float)
    P = penalty_matrix(j.penalty_, penalty_weights(Xd), j.smoothness_,
                       difference_matrix(j.codings_))
    bounds = [b for c in j.codings_.values() for b in c.bounds]
    here = solve(Xd, yf, P, bounds)
    perm = np.random.default_rng(7).permutation(len(y))
    there = solve(Xd[perm], yf[perm], P, bounds,
                  start=here + np.random.default_rng(8).normal(0, 0.05, len(here)))
    assert np.max(np.abs(here - there)) > 1e-9  # two different stops
    a = polish(here, Xd, yf, P, bounds)
    b = polish(there, Xd[perm], yf[perm], P, bounds)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(a, [j.intercept_, *j.coef_])  # what fit publishes
    # and what is published is rounded far above what is left
    published = joint.coefficients_["coef"].to_numpy()
    assert all(float(f"{v:.6g}") == v for v in published)


def test_the_polish_never_leaves_a_fit_worse_than_the_solver_did() -> None:
    # Far from the optimum a plain Newton step overshoots or meets a saturated, singular
    # Hessian; the polish must then hand back what it was given, and still reach the
    # optimum from near it.
    rng = np.random.default_rng(0)
    x = (rng.random(2_000) < 0.5).astype(float)
    y = (rng.random(2_000) < 0.3).astype(float)
    X, P, free = sparse.csr_matrix(x[:, None]), sparse.csr_matrix([[1e-3]]), [(None, None)]

    def loss(b: np.ndarray) -> float:
        z = b[0] + x * b[1]
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5e-3 * b[1] ** 2)

    for far in ([0.0, 30.0], [5.0, -20.0], [0.0, 3.0], [3.0, 0.0]):
        for steps in (1, POLISH_STEPS):  # one step overshoots; more meet a singular Hessian
            out = polish(np.array(far), X, y, P, free, max_steps=steps)
            assert np.all(np.isfinite(out)) and loss(out) <= loss(np.array(far))
    best = solve(X, y, P, free)
    np.testing.assert_allclose(polish(best + 0.01, X, y, P, free),
                               polish(best, X, y, P, free), rtol=0, atol=1e-12)
