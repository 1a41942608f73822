"""The ground-truth risk surface: documented terms, real-risk ranking, designed effects."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.files import read_dataset
from scorecard.data.synthetic import truth
from scorecard.data.synthetic.fit_profile import expected_oracle_auc
from scorecard.data.synthetic.generator import generate


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return generate(5_000, 500, seed=3)[0]


@pytest.fixture(scope="module")
def real_and_peers(klarna_real_path: Path, klarna_peers_path: Path,
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    real = read_dataset(klarna_real_path).frame
    peers = pd.read_csv(klarna_peers_path, sep=";").set_index("uuid").loc[real["uuid"]]
    return real, peers


def test_every_term_is_documented_and_has_a_coefficient() -> None:
    coefficients = truth.load_truth()
    terms = list(truth.design(generate(50, 0, seed=1)[0]).columns)
    doc = truth.__doc__ or ""
    for term in terms:
        assert f"``{term}``" in doc, term
    assert set(coefficients["coefficients"]) == set(terms)
    assert set(coefficients["merchant_category_effect"]) <= set(KLARNA.column(
        "merchant_category").allowed or ())
    for term, effect in truth.DESIGNED_EFFECTS.items():
        assert coefficients["coefficients"][term] == pytest.approx(effect * coefficients["scale"],
                                                                   rel=1e-6)


@pytest.mark.shared
def test_ranks_real_rows_like_the_strong_peer(real_and_peers: tuple) -> None:
    real, peers = real_and_peers
    pd_real = truth.true_pd(real)
    rho = spearmanr(pd_real, peers["itdxer"]).statistic
    assert rho >= 0.80
    assert 0.010 <= pd_real.mean() <= 0.020


def test_usable_on_any_contract_valid_frame(small: pd.DataFrame) -> None:
    frame = small.copy()
    nullable = [c.name for c in KLARNA.features if c.nullable]
    frame.loc[frame.index[:100], nullable] = np.nan  # every nullable feature missing
    frame.loc[frame.index[100:200], "age"] = 100.0
    frame.loc[frame.index[200:300], "sum_paid_inv_0_12m"] = 1e9
    p = truth.true_pd(frame)
    assert p.shape == (len(frame),) and p.dtype == np.float64
    assert np.isfinite(p).all() and ((p > 0) & (p < 1)).all()


def test_time_of_day_effect_is_not_monotone(small: pd.DataFrame) -> None:
    row = small.iloc[[0]]
    hours = np.arange(0.0, 24.0, 0.5)
    grid = pd.concat([row] * len(hours), ignore_index=True).assign(time_hours=hours)
    p = truth.true_pd(grid)
    night = p[hours == 3.0][0]
    assert night > p[hours == 12.0][0] and night > p[hours == 8.0][0]
    assert night > p[hours == 0.0][0] or night > p[hours == 23.5][0]
    assert np.argmax(p) == np.argmax(hours == 3.0)


def test_active_invoices_weigh_more_after_recent_delays(small: pd.DataFrame) -> None:
    row = small.iloc[[0]].copy()
    base = {"account_status": 1.0, "account_worst_status_3_6m": 1.0,
            "status_max_archived_0_6_months": 1.0}
    rows = []
    for late in (1.0, 2.0):
        for active in (0.0, 5.0):
            rows.append(row.assign(**base, account_worst_status_0_3m=late,
                                   num_active_inv=active))
    eta = truth.linear_predictor(pd.concat(rows, ignore_index=True))
    effect_on_time, effect_late = eta[1] - eta[0], eta[3] - eta[2]
    assert effect_late - effect_on_time == pytest.approx(
        truth.load_truth()["coefficients"]["late_x_active"] * np.log1p(5.0))
    assert effect_late > effect_on_time + 0.5


def test_expected_oracle_auc_matches_simulation() -> None:
    rng = np.random.default_rng(0)
    p = 1 / (1 + np.exp(-rng.normal(-4.5, 1.6, 20_000)))
    aucs = []
    from sklearn.metrics import roc_auc_score

    for _ in range(20):
        y = rng.random(len(p)) < p
        aucs.append(roc_auc_score(y, p))
    assert expected_oracle_auc(p) == pytest.approx(np.mean(aucs), abs=0.005)


def test_oracle_command_writes_uuid_and_true_pd(tmp_path: Path, small: pd.DataFrame) -> None:
    from scorecard.data.files import write_dataset

    data, out = tmp_path / "d.csv", tmp_path / "oracle.csv"
    write_dataset(small, data)
    assert main(["oracle", "--input", str(data), "--output", str(out)]) == 0
    got = pd.read_csv(out, dtype={"uuid": str})
    assert list(got.columns) == ["uuid", "true_pd"]
    assert list(got["uuid"]) == list(small["uuid"])
    assert np.array_equal(got["true_pd"].to_numpy(), truth.true_pd(small))


@pytest.mark.shared
def test_oracle_command_on_the_real_rows(tmp_path: Path, klarna_real_path: Path) -> None:
    out = tmp_path / "real_oracle.csv"
    assert main(["oracle", "--input", str(klarna_real_path), "--output", str(out)]) == 0
    got = pd.read_csv(out, dtype={"uuid": str})
    assert len(got) == 10_000 and got["true_pd"].between(0, 1, inclusive="neither").all()


def test_the_interactions_truth_adds_each_planted_pair_as_a_product(small: pd.DataFrame,
                                                                    ) -> None:
    doc = truth.__doc__ or ""
    base = small.iloc[[0]].assign(name_in_email="F+L", merchant_group="Health & Beauty",
                                  age=50.0, avg_payment_span_0_12m=5.0, num_unpaid_bills=0.0)
    # Each pair: both conditions on together add the effect beyond each one alone.
    corners = {"young_x_slow": ({"age": 25.0}, {"avg_payment_span_0_12m": 30.0}),
               "clothing_x_unpaid": ({"merchant_group": "Clothing & Shoes"},
                                     {"num_unpaid_bills": 4.0}),
               "nomatch_x_entertainment": ({"name_in_email": "no_match"},
                                           {"merchant_group": "Entertainment"})}
    assert set(corners) == set(truth.PAIR_TERMS)
    for name, (a, b) in corners.items():
        assert f"``{name}``" in doc
        rows = pd.concat([base, base.assign(**a), base.assign(**b), base.assign(**a, **b)],
                         ignore_index=True)
        eta = truth.linear_predictor(rows, truth="interactions")
        assert eta[3] - eta[2] - eta[1] + eta[0] == pytest.approx(
            truth.PAIR_TERMS[name].effect), name
    kinds = {tuple(KLARNA.column(c).kind == "category" for c in t.columns)
             for t in truth.PAIR_TERMS.values()}
    assert kinds == {(False, False), (True, False), (True, True)}
    with pytest.raises(ValueError, match="truth must be one of"):
        truth.true_pd(small, truth="pairs")


def test_an_additive_fit_falls_clearly_short_of_the_interactions_oracle() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    frame, p = generate(60_000, 0, seed=5, truth="interactions")
    y = frame["default"].to_numpy()
    # The best additive fit there is: every term of the truth, each pair's two conditions
    # on their own and every category, but not the products.
    x = truth.design(frame).assign(
        young=(frame["age"] < 30).astype(float),
        slow=(frame["avg_payment_span_0_12m"] >= 20).astype(float),
        unpaid3=(frame["num_unpaid_bills"] >= 3).astype(float))
    x = pd.concat([x, pd.get_dummies(frame[["merchant_group", "name_in_email"]],
                                     dtype=float)], axis=1).to_numpy()
    train, test = np.arange(len(y)) < 40_000, np.arange(len(y)) >= 40_000
    additive = LogisticRegression(C=10.0, max_iter=2_000).fit(x[train], y[train])
    auc_additive = roc_auc_score(y[test], additive.predict_proba(x[test])[:, 1])
    assert roc_auc_score(y[test], p[test]) > auc_additive + 0.005


def test_generate_data_states_the_planted_pairs_and_keeps_the_rows(tmp_path: Path) -> None:
    import json

    from scorecard.data.synthetic.generator import metadata_path

    plain, pairs = tmp_path / "plain.csv", tmp_path / "pairs.csv"
    args = ["--rows", "2000", "--unlabelled", "200", "--seed", "4", "--quiet"]
    assert main(["generate-data", "--output", str(plain), *args]) == 0
    assert main(["generate-data", "--output", str(pairs), "--truth", "interactions",
                 *args]) == 0
    assert not metadata_path(plain).exists()
    meta = json.loads(metadata_path(pairs).read_text())
    assert meta["truth"] == "interactions"
    assert {p["term"]: tuple(p["columns"]) for p in meta["pairs"]} == {
        n: t.columns for n, t in truth.PAIR_TERMS.items()}
    a, b = read_dataset(plain).frame, read_dataset(pairs).frame
    pd.testing.assert_frame_equal(a.drop(columns="default"), b.drop(columns="default"))
    assert np.array_equal(pd.read_csv(tmp_path / "pairs.truth.csv")["true_pd"].to_numpy(),
                          truth.true_pd(b, truth="interactions"))
    assert main(["generate-data", "--output", str(tmp_path / "x.csv"), "--truth", "pairs",
                 *args]) == 2
