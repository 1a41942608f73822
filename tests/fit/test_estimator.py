"""The card on generated Klarna-format data: engine parity, monotone points, overrides,
the published pd formula."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from scorecard.card.engine import ScoringEngine
from scorecard.card.scaling import Scaling
from scorecard.data.synthetic.generator import generate
from scorecard.fit.estimator import Scorecard
from scorecard.fit.overrides import BUILTIN_DIR, FeatureOverride, load_overrides
from scorecard.fit.selection import SelectionConfig
from scorecard.fit.spec import KLARNA_SPEC


@pytest.fixture(scope="module")
def sample():
    frame, _ = generate(n_rows=40_000, n_unlabelled=0, seed=7)
    return frame, frame["default"].to_numpy(dtype=int)


@pytest.fixture(scope="module")
def card(sample) -> Scorecard:
    X, y = sample
    return Scorecard(KLARNA_SPEC, load_overrides(BUILTIN_DIR / "klarna.toml"),
                     method="woe").fit(X, y)


def test_engine_scores_equal_the_fitting_pipeline_on_every_training_row(card, sample) -> None:
    X, _ = sample
    result = card.engine().score(X)
    np.testing.assert_array_equal(result.points, card.pipeline_points(X))
    # The unrounded pipeline score differs from the integer card only by rounding.
    assert np.max(np.abs(result.score - card.raw_score(X))) <= 0.5 * len(card.features_)


def test_pd_is_the_published_function_of_the_integer_score(card, sample) -> None:
    X, _ = sample
    artifact = card.to_artifact({}, {})
    result = ScoringEngine(artifact).score(X)
    offset, factor = artifact["scaling"]["offset"], artifact["scaling"]["factor"]
    np.testing.assert_array_equal(result.pd, 1.0 / (1.0 + np.exp((result.score - offset)
                                                                 / factor)))
    assert result.score.dtype.kind == "i"


def test_points_are_monotone_over_ordered_bins_of_trended_features(card) -> None:
    artifact = card.to_artifact({}, {})
    checked = 0
    for f in artifact["features"]:
        regular = [b["points"] for b in f["bins"] if b["type"] == "regular"]
        if f["trend"] == "ascending":  # riskier as the value grows: points never rise
            assert all(a >= b for a, b in pairwise(regular)), f["name"]
            checked += 1
        elif f["trend"] == "descending":
            assert all(a <= b for a, b in pairwise(regular)), f["name"]
            checked += 1
    assert checked >= 5


def test_every_coefficient_keeps_points_monotone_in_woe(card) -> None:
    coefs = card.coefficients_.set_index("term")["coef"].drop("const")
    assert (coefs < 0).all()
    log = card.selection_log_.set_index("feature")
    assert set(log.index[log["decision"] == "in"]) == set(card.features_)
    assert (log.loc[log["decision"] == "out", "reason"].str.len() > 0).all()


def test_overrides_are_honoured_and_reported(sample) -> None:
    X, y = sample
    overrides = {
        "num_arch_ok_0_12m": FeatureOverride(splits=(1.0, 5.0, 20.0)),
        "name_in_email": FeatureOverride(groups=(("F+L", "F1+L", "L1+F"),
                                                 ("F", "L", "Nick", "Initials", "no_match"))),
        "avg_payment_span_0_12m": FeatureOverride(exclude="test exclusion"),
    }
    card = Scorecard(KLARNA_SPEC, overrides, method="woe").fit(X, y)
    bins = card.binner_.bins_
    assert bins["num_arch_ok_0_12m"].splits == [1.0, 5.0, 20.0]
    assert bins["name_in_email"].groups == [sorted(["F+L", "F1+L", "L1+F"]),
                                            sorted(["F", "L", "Nick", "Initials", "no_match"])]
    log = card.selection_log_.set_index("feature")
    assert log.loc["avg_payment_span_0_12m", "decision"] == "out"
    assert "test exclusion" in log.loc["avg_payment_span_0_12m", "reason"]
    assert bool(log.loc["num_arch_ok_0_12m", "overridden"])


def test_overrides_file_rejects_unknown_keys(tmp_path) -> None:
    path = tmp_path / "o.toml"
    path.write_text('[features.age]\nsplitz = [30]\n')
    with pytest.raises(ValueError, match=r"unknown keys.*splitz"):
        load_overrides(path)


def test_a_clone_has_the_same_parameters_and_refits_to_the_same_card(card, sample) -> None:
    X, y = sample
    twin = clone(card)
    assert twin.get_params() == card.get_params()
    assert not hasattr(twin, "logit_")  # a clone carries parameters, never fitted state
    assert twin.fit(X, y).to_artifact({}, {}) == card.to_artifact({}, {})


def test_parameters_are_stored_verbatim_and_round_trip() -> None:
    overrides = {"age": FeatureOverride(trend="descending")}
    selection, scaling = SelectionConfig(max_vif=4.0), Scaling(pdo=40.0)
    params = {"spec": KLARNA_SPEC, "overrides": overrides, "selection": selection,
              "scaling": scaling, "min_bin_share": 0.1, "max_n_bins": 5}
    est = Scorecard(**params)
    got = est.get_params()
    assert {k: got[k] for k in params} == params and all(got[k] is v
                                                         for k, v in params.items())
    # Defaults resolve in fit, from the spec and the one table of method defaults.
    assert got["method"] is None and got["min_bin_n_event"] is None
    assert Scorecard(KLARNA_SPEC).get_params()["overrides"] is None
    est.set_params(max_n_bins=6, scaling=None)
    assert est.max_n_bins == 6 and est.scaling is None
    assert Scorecard(**est.get_params()).get_params() == est.get_params()


def test_an_unfitted_card_refuses_to_score(sample) -> None:
    X, _ = sample
    est = Scorecard(KLARNA_SPEC)
    for use in (est.predict_proba, est.raw_score, est.pipeline_points):
        with pytest.raises(NotFittedError):
            use(X.head(5))
    with pytest.raises(NotFittedError):
        est.to_artifact({}, {})


def test_predict_proba_is_good_and_default_of_the_engine_pd(card, sample) -> None:
    X, _ = sample
    proba = card.predict_proba(X.head(500))
    assert proba.shape == (500, 2)
    np.testing.assert_array_equal(proba[:, 1], ScoringEngine(card.to_artifact({}, {}))
                                  .score(X.head(500)).pd)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(card.classes_) == [0, 1]
    assert set(card.predict(X.head(500)).tolist()) <= {0, 1}
