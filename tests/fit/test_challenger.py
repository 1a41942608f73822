"""The gradient-boosted challenger, and the split design it shares with the scorecard."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from scorecard.fit.challenger import (
    DEFAULT_PARAM_GRID,
    DEFAULT_STAGES,
    GradientBoostedChallenger,
)
from validation.calibration import log_loss
from validation.discrimination import roc_auc
from validation.splits import make_splits

SMALL_GRID = {"learning_rate": [0.1], "max_leaf_nodes": [7, 15], "min_samples_leaf": [20]}
FAST = {"param_grid": SMALL_GRID, "n_splits": 2, "max_iter": 150}


def _frame(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Nonlinear synthetic credit data: a U-shaped feature, a linear one, a categorical with
    an effect, informative missingness and a boolean."""
    rng = np.random.default_rng(seed)
    f0 = rng.normal(size=n)
    f1 = rng.normal(size=n)
    f2 = rng.normal(size=n)
    f2_missing = rng.random(n) < 0.2
    shop = rng.choice(["books", "games", "travel", "wine"], n)
    flag = rng.random(n) < 0.5
    logit = (-2.5 + 1.2 * (f0**2 - 1) + 0.8 * f1 + 1.0 * f2_missing
             + np.where(shop == "travel", 1.0, 0.0) - 0.5 * flag)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({
        "f0": f0,
        "f1": f1,
        "f2": np.where(f2_missing, np.nan, f2),
        "shop": shop,  # plain strings: the challenger makes them categorical
        "flag": flag,
    })
    return X, y


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y = _frame(6000, 0)
    return X.iloc[:4000], y[:4000], X.iloc[4000:].reset_index(drop=True), y[4000:]


@pytest.fixture(scope="module")
def free_model(data) -> GradientBoostedChallenger:
    X, y, _, _ = data
    return GradientBoostedChallenger(**FAST).fit(X, y)


def _ice(model: GradientBoostedChallenger, X: pd.DataFrame, feature: str) -> np.ndarray:
    """Individual conditional expectation: pd of 60 rows across a 25-point grid, (60, 25)."""
    rows = X.iloc[:60]
    grid = np.linspace(X[feature].quantile(0.02), X[feature].quantile(0.98), 25)
    stacked = pd.concat([rows.assign(**{feature: v}) for v in grid], ignore_index=True)
    return model.predict_pd(stacked).reshape(len(grid), len(rows)).T


def test_challenger_beats_a_constant_on_nonlinear_data(free_model, data) -> None:
    _, y_tr, X_te, y_te = data
    pd_ = free_model.predict_pd(X_te)
    assert pd_.shape == (len(X_te),)
    assert ((pd_ > 0) & (pd_ < 1)).all()
    assert roc_auc(y_te, pd_) > 0.75
    constant = np.full(len(y_te), y_tr.mean())
    assert log_loss(y_te, pd_) < log_loss(y_te, constant) - 0.03
    proba = free_model.predict_proba(X_te)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(free_model.predict(X_te))) <= {0, 1}


def test_learned_state_and_summary(free_model) -> None:
    res = free_model.cv_results_
    assert len(res["params"]) == 2
    assert free_model.best_params_ in res["params"]
    best = res["params"].index(free_model.best_params_)
    assert res["rank_test_auc"][best] == 1
    assert res["mean_test_auc"][best] == max(res["mean_test_auc"])
    assert free_model.best_score_ == res["mean_test_auc"][best]
    assert list(free_model.feature_names_in_) == ["f0", "f1", "f2", "shop", "flag"]
    assert free_model.categories_ == {"shop": ["books", "games", "travel", "wine"]}
    summary = json.loads(json.dumps(free_model.summary(), allow_nan=False))
    assert summary["monotone"] is False and summary["monotonic_cst"] is None
    assert summary["best_params"] == free_model.best_params_
    assert summary["n_iter"] == free_model.model_.n_iter_


def test_every_fit_stops_early_on_its_inner_validation_split(data) -> None:
    X, y, _, _ = data
    # a large step overfits within a few dozen trees: the loss on the held-out tenth must turn
    m = GradientBoostedChallenger(param_grid={"learning_rate": [0.5], "max_leaf_nodes": [31]},
                                  n_splits=2, max_iter=1000, n_iter_no_change=5).fit(X, y)
    booster = m.model_
    assert booster.n_iter_ < 1000
    assert all(n < 1000 for n in m.cv_results_["mean_n_iter"])
    # validation_score_ is minus the log loss on the inner split, one per iteration plus the
    # start; the best came 5 or more iterations before the stop
    val = np.asarray(booster.validation_score_)
    assert val.shape == (booster.n_iter_ + 1,)
    assert int(np.argmax(val)) <= booster.n_iter_ - 5
    # the inner split is a tenth of the rows: the rest trained the trees
    assert len(val) > 1 and booster.train_score_.shape == val.shape


def test_the_default_search_is_staged_and_bounded(data) -> None:
    X, y, _, _ = data
    # max_iter=3 keeps this fast; the search's shape does not depend on the fits' quality
    m = GradientBoostedChallenger(n_splits=2, max_iter=3).fit(X.iloc[:1500], y[:1500])
    res = m.cv_results_
    sizes = [int(np.prod([len(DEFAULT_PARAM_GRID[n]) for n in st])) for st in DEFAULT_STAGES]
    # each later stage re-meets the best point so far once and does not refit it
    assert len(res["params"]) == sum(sizes) - (len(sizes) - 1) == 18
    assert [res["stage"].count(s) for s in (1, 2, 3)] == [sizes[0], sizes[1] - 1, sizes[2] - 1]
    for params in res["params"]:
        assert set(params) == set(DEFAULT_PARAM_GRID)
        assert all(v in DEFAULT_PARAM_GRID[k] for k, v in params.items())
    assert len({json.dumps(p, sort_keys=True) for p in res["params"]}) == len(res["params"])
    # stage 1 searches the tree shape at the start values of the rest
    for params in res["params"][: sizes[0]]:
        assert params["learning_rate"] == 0.1 and params["l2_regularization"] == 0.0
    # a later stage varies only its own parameters around the best point of the stages before
    mean = np.asarray(res["mean_test_auc"])
    stage = np.asarray(res["stage"])
    for s, names in ((2, DEFAULT_STAGES[1]), (3, DEFAULT_STAGES[2])):
        before = res["params"][int(np.argmax(np.where(stage < s, mean, -np.inf)))]
        for i in np.flatnonzero(stage == s):
            params = res["params"][i]
            assert {k: v for k, v in params.items() if k not in names} == {
                k: v for k, v in before.items() if k not in names}
    assert m.best_params_ == res["params"][int(np.argmax(mean))]
    assert m.summary()["stages"] == [list(st) for st in DEFAULT_STAGES]


def test_the_full_grid_and_stages_of_a_custom_grid(data) -> None:
    X, y, _, _ = data
    grid = {"learning_rate": [0.2, 0.05], "max_leaf_nodes": [7, 15], "max_features": [1.0, 0.5]}
    staged = GradientBoostedChallenger(param_grid=grid, n_splits=2, max_iter=40).fit(X, y)
    # l2_regularization is not in the grid and is skipped; learning_rate's stage comes last
    assert staged.summary()["stages"] == [["max_leaf_nodes"], ["max_features"],
                                          ["learning_rate"]]
    assert len(staged.cv_results_["params"]) == 2 + 1 + 1
    assert [p["learning_rate"] for p in staged.cv_results_["params"]] == [0.2, 0.2, 0.2, 0.05]
    full = GradientBoostedChallenger(param_grid=grid, stages=None, n_splits=2,
                                     max_iter=40).fit(X, y)
    assert len(full.cv_results_["params"]) == 8 and set(full.cv_results_["stage"]) == {1}
    # a grid parameter no stage names is searched in a last stage of its own
    tail = GradientBoostedChallenger(param_grid=grid, stages=[["max_leaf_nodes"]],
                                     n_splits=2, max_iter=40).fit(X, y)
    assert tail.summary()["stages"] == [["max_leaf_nodes"], ["learning_rate", "max_features"]]
    assert len(tail.cv_results_["params"]) == 2 + 3


def test_monotone_variant_respects_constraints(free_model, data) -> None:
    X, y, X_te, _ = data
    mono = GradientBoostedChallenger(monotone=True, monotonic_cst={"f0": 1, "f1": 1, "f2": -1},
                                     **FAST).fit(X, y)
    for feature, sign in (("f0", 1), ("f1", 1), ("f2", -1)):
        steps = np.diff(_ice(mono, X_te, feature), axis=1) * sign
        assert (steps >= -1e-12).all(), feature
    # the unconstrained model learns the U shape in f0, so the check above can fail
    free_steps = np.diff(_ice(free_model, X_te, "f0"), axis=1)
    assert (free_steps < -1e-3).any() and (free_steps > 1e-3).any()
    assert mono.summary()["monotonic_cst"] == {"f0": 1, "f1": 1, "f2": -1}


def test_deterministic_for_a_random_state(free_model, data) -> None:
    X, y, X_te, _ = data
    again = GradientBoostedChallenger(**FAST).fit(X, y)
    assert again.cv_results_ == free_model.cv_results_
    assert np.array_equal(again.predict_pd(X_te), free_model.predict_pd(X_te))
    # feature subsampling draws from random_state too: a refit on the same rows is identical
    sub = {"param_grid": {"max_leaf_nodes": [7], "max_features": [0.5]}, "max_iter": 40}
    first = GradientBoostedChallenger(**sub).fit(X, y)
    assert np.array_equal(first.refit_with_best(X, y).predict_pd(X_te), first.predict_pd(X_te))
    other = GradientBoostedChallenger(**sub, random_state=1).fit(X, y)
    assert not np.array_equal(other.predict_pd(X_te), first.predict_pd(X_te))
    # nor does the OpenMP thread count (a tiny fit: 2 threads are slow on a shared box)
    tiny = {"param_grid": {"max_leaf_nodes": [7]}, "n_splits": 2, "max_iter": 10}
    one = GradientBoostedChallenger(**tiny, n_threads=1).fit(X.iloc[:1500], y[:1500])
    two = GradientBoostedChallenger(**tiny, n_threads=2).fit(X.iloc[:1500], y[:1500])
    assert np.array_equal(one.predict_pd(X_te), two.predict_pd(X_te))
    # nor the number of processes the tuning fits run in
    procs = GradientBoostedChallenger(**FAST, n_jobs=2).fit(X, y)
    assert procs.cv_results_ == free_model.cv_results_
    assert np.array_equal(procs.predict_pd(X_te), free_model.predict_pd(X_te))


def test_refit_with_best_reuses_the_tuned_parameters(free_model, data) -> None:
    X, y, X_te, _ = data
    refit = free_model.refit_with_best(X.iloc[:3000], y[:3000])
    assert refit is not free_model
    assert refit.best_params_ == free_model.best_params_
    assert refit.cv_results_ == {} and refit.best_score_ is None
    assert refit.model_.learning_rate == free_model.best_params_["learning_rate"]
    assert not np.array_equal(refit.predict_pd(X_te), free_model.predict_pd(X_te))
    # on the same data the untuned refit reproduces the tuned model's final fit exactly
    same = free_model.refit_with_best(X, y)
    assert np.array_equal(same.predict_pd(X_te), free_model.predict_pd(X_te))
    json.dumps(same.summary(), allow_nan=False)


def test_input_handling(free_model, data) -> None:
    X, _, X_te, _ = data
    fresh, _ = _frame(10, 0)
    assert (X.dtypes == fresh.dtypes).all()  # fitting left the caller's frame untouched
    odd = X_te.iloc[:5].copy()
    odd["shop"] = ["books", "unseen", None, "wine", "travel"]  # unknown -> missing
    odd["flag"] = pd.array([True, None, False, True, False], dtype="boolean")
    odd = odd[list(reversed(odd.columns))]  # column order does not matter
    assert np.isfinite(free_model.predict_pd(odd)).all()
    with pytest.raises(ValueError, match="missing columns"):
        free_model.predict_pd(X_te.drop(columns="f1"))


def test_clone_gives_the_same_unfitted_configuration(free_model, data) -> None:
    X, y, X_te, _ = data
    est = GradientBoostedChallenger(monotone=True, monotonic_cst={"f1": 1}, stages=None,
                                    n_splits=2, max_iter=50, random_state=3)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert twin.get_params()["stages"] is None and twin.monotonic_cst == {"f1": 1}
    copy = clone(free_model)  # a fitted one clones to its parameters only
    assert copy.get_params() == free_model.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "best_params_")
    assert np.array_equal(copy.fit(X, y).predict_pd(X_te), free_model.predict_pd(X_te))


def test_invalid_configurations_raise(data) -> None:
    X, y, _, _ = data
    with pytest.raises(ValueError, match="monotonic_cst"):
        GradientBoostedChallenger(monotone=True, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="categorical"):
        GradientBoostedChallenger(monotone=True, monotonic_cst={"shop": 1}, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="unknown"):
        GradientBoostedChallenger(monotone=True, monotonic_cst={"nope": 1}, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="-1, 0 or"):
        GradientBoostedChallenger(monotone=True, monotonic_cst={"f0": 0.5}, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="both"):
        GradientBoostedChallenger(**FAST).fit(X, np.zeros(len(X), dtype=int))


# -- split design (validation.splits): the scorecard and the challenger share it -------------


def test_split_design_is_deterministic_stratified_and_named() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(5000) < 0.05).astype(int)
    d = make_splits(y, seed=7)
    assert d.fingerprint() == make_splits(y, seed=7).fingerprint()
    assert d.fingerprint() != make_splits(y, seed=8).fingerprint()
    assert d.names == ["holdout"] + [f"cv r{r}f{f}" for r in (1, 2) for f in range(1, 6)]
    # holdout: 30 %, disjoint from development, same default rate up to rounding
    assert d.holdout.size == 1500
    assert np.intersect1d(d.holdout, d.development).size == 0
    assert np.array_equal(np.sort(np.r_[d.holdout, d.development]), np.arange(5000))
    assert abs(y[d.holdout].sum() - 0.3 * y.sum()) <= 1
    # every repeat's test folds partition the development rows; no fold touches the holdout
    for r in (1, 2):
        tests = [s.test for s in d.folds if s.repeat == r]
        assert np.array_equal(np.sort(np.concatenate(tests)), d.development)
    for s in d.folds:
        assert np.intersect1d(s.train, s.test).size == 0
        assert np.intersect1d(np.r_[s.train, s.test], d.holdout).size == 0
        assert abs(y[s.test].mean() - y[d.development].mean()) < 0.01
    assert d["cv r2f3"].repeat == 2 and d["cv r2f3"].fold == 3
    assert d["holdout"].test is d.holdout
    payload = json.loads(json.dumps(d.to_dict(y)))
    assert payload["splits"][0] == {"name": "holdout", "repeat": None, "fold": None,
                                    "n_train": 3500, "n_test": 1500,
                                    "defaults_train": int(y[d.development].sum()),
                                    "defaults_test": int(y[d.holdout].sum())}
