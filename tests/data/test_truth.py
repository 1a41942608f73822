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
