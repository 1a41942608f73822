"""``scorecard recalibrate``: a new base rate, identical scores, and every scorer applies it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest
from litestar.testing import TestClient
from scipy import stats

from api.app import create_app
from api.settings import Settings
from scorecard.card.artifact import ArtifactError, load_artifact, seal, verify
from scorecard.card.engine import ScoringEngine
from scorecard.card.sql import card_sql
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.files import write_dataset
from scorecard.data.synthetic.drift import Drift, generate_period
from scorecard.jobs.recalibrate import recalibrate

REPO = Path(__file__).resolve().parents[2]
CARD = REPO / "reports" / "scorecard.json"


@pytest.fixture(scope="module")
def card() -> dict:
    return load_artifact(CARD)


@pytest.fixture(scope="module")
def recent() -> object:  # a period whose risk doubled: the card now underestimates
    return generate_period(1, 4000, 0, 9, [Drift.parse("risk@1", 1)])[0]


@pytest.mark.parametrize("rate", [0.005, 0.0145, 0.04, 0.2])
def test_target_rate_is_hit_and_scores_are_identical(card: dict, recent: object,
                                                     rate: float) -> None:
    new, summary = recalibrate(card, recent, target_rate=rate)
    old_rows, new_rows = ScoringEngine(card).score(recent), ScoringEngine(new).score(recent)
    assert np.array_equal(old_rows.score, new_rows.score)
    # 1 up to rounding (1 - 2e-16 for some cards); one swapped pair of 4000 costs ~1e-10.
    assert stats.spearmanr(old_rows.score, new_rows.score).statistic == pytest.approx(
        1.0, abs=1e-12)
    assert abs(new_rows.pd.mean() - rate) < 1e-6
    assert summary["mean_pd"]["after"] == pytest.approx(rate, abs=1e-9)
    assert [f["bins"] for f in new["features"]] == [f["bins"] for f in card["features"]]
    assert new["scaling"]["pdo"] == card["scaling"]["pdo"]
    assert verify(new) is new


def test_outcomes_match_the_observed_rate_with_lineage(card: dict, recent: object) -> None:
    new, summary = recalibrate(card, recent, target="default", data_name="recent.csv")
    observed = float(recent["default"].mean())
    assert abs(ScoringEngine(new).score(recent).pd.mean() - observed) < 1e-6
    lineage = new["metadata"]["recalibration"]
    assert lineage["parent_model_id"] == card["model_id"]
    assert lineage["parent_content_hash"] == card["content_hash"]
    assert lineage["method"] == "outcomes" and lineage["target_rate"] == observed
    assert summary["offset_shift_points"] > 0  # more risk: the same score means a higher pd
    assert new["model_id"] != card["model_id"]
    assert new["reference"]["grades"] is None  # grade cuts moved: parent's counts void
    assert new["reference"]["score_bands"] == card["reference"]["score_bands"]


def test_sql_and_api_apply_the_new_pd(card: dict, recent: object, tmp_path: Path) -> None:
    new, _ = recalibrate(card, recent, target_rate=0.03)
    engine = ScoringEngine(new).score(recent)
    with duckdb.connect() as con:
        con.register("applicants", recent)
        sql = con.execute(card_sql(new)).df()
    assert np.allclose(sql["pd"].to_numpy(), engine.pd, rtol=1e-12, atol=0)
    path = tmp_path / "new.json"
    path.write_text(json.dumps(new), encoding="utf-8")
    row = recent.iloc[0].astype(object).where(recent.iloc[0].notna(), None).to_dict()
    row = {k: (bool(v) if isinstance(v, bool | np.bool_) else v) for k, v in row.items()
           if k != "default"}
    with TestClient(create_app(Settings(artifact=path))) as client:
        got = client.post("/v1/score", json=row).json()
    assert got["score"] == int(engine.score[0])
    assert got["pd"] == pytest.approx(float(engine.pd[0]), rel=1e-12)


def test_an_offset_edited_by_hand_is_refused(card: dict) -> None:
    body = {k: v for k, v in copy.deepcopy(card).items() if k not in ("content_hash",
                                                                       "model_id")}
    body["scaling"]["offset"] += 10  # the engine would ignore it: refused, not ignored
    with pytest.raises(ArtifactError, match=r"scaling\.offset"):
        verify(seal(body))


def test_cli_writes_a_sealed_card(card: dict, recent: object, tmp_path: Path,
                                  capsys: pytest.CaptureFixture) -> None:
    data = tmp_path / "recent.csv"
    write_dataset(recent, data, KLARNA)
    out = tmp_path / "new.json"
    assert main(["recalibrate", "--artifact", str(CARD), "--data", str(data),
                 "--outcomes", "--output", str(out)]) == 0
    new = load_artifact(out)
    assert new["metadata"]["recalibration"]["data"]["file"] == "recent.csv"
    assert main(["recalibrate", "--artifact", str(CARD), "--data", str(data),
                 "--output", str(out)]) == 2
    assert "exactly one of" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse's own usage error
        main(["recalibrate", "--artifact", str(CARD), "--data", str(data),
              "--target-rate", "1.5", "--output", str(out)])
    assert usage.value.code == 2
    assert "strictly between 0 and 1" in capsys.readouterr().err
