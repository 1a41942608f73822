"""``scorecard diff``: structure changes, the swap set and grade migrations, hand-checked."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from scorecard.card.artifact import load_artifact, seal, verify
from scorecard.card.engine import ScoringEngine
from scorecard.card.grades import MasterScale
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.files import write_dataset
from scorecard.data.synthetic.drift import generate_period
from scorecard.jobs.diff import data_diff, structure_diff
from scorecard.jobs.recalibrate import recalibrate

REPO = Path(__file__).resolve().parents[2]
CARD = REPO / "reports" / "scorecard.json"


@pytest.fixture(scope="module")
def card() -> dict:
    return load_artifact(CARD)


@pytest.fixture(scope="module")
def rows() -> object:
    return generate_period(1, 3000, 0, 4, [])[0]


def _edited(card: dict) -> dict:
    """One more point in the first bin of the first characteristic; the last one dropped."""
    body = {k: v for k, v in copy.deepcopy(card).items() if k not in ("content_hash",
                                                                       "model_id")}
    f = body["features"][0]
    f["bins"][0]["points"] += 1
    f["max_points"] = max(b["points"] for b in f["bins"])
    f["best_bin"] = int(np.argmax([b["points"] for b in f["bins"]]))
    body["features"] = body["features"][:-1]
    body.pop("reference")
    return verify(seal(body))


def test_a_card_against_itself_changes_nothing(card: dict, rows: object) -> None:
    s = structure_diff(card, card)
    assert (s["added"], s["removed"], s["changed"], s["scaling"]) == ([], [], [], {})
    d = data_diff(card, card, rows, "600")
    assert d["score_changed"] == 0 and d["swap"]["accepted_by_a_only"] == 0
    m = np.array(d["migration"]["matrix"])
    assert (m == np.diag(np.diag(m))).all() and m.sum() == 3000


def test_edited_card_swap_set_and_migrations_match_a_hand_count(card: dict,
                                                                rows: object) -> None:
    b = _edited(card)
    s = structure_diff(card, b)
    first, last = card["features"][0]["name"], card["features"][-1]["name"]
    assert s["removed"] == [last] and s["added"] == []
    assert [c["name"] for c in s["changed"]] == [first]
    assert not s["changed"][0]["bins_changed"]
    sa, sb = ScoringEngine(card).score(rows).score, ScoringEngine(b).score(rows).score
    d = data_diff(card, b, rows, "620")
    assert d["swap"]["accepted_by_a_only"] == int(((sa >= 620) & (sb < 620)).sum())
    assert d["swap"]["accepted_by_b_only"] == int(((sa < 620) & (sb >= 620)).sum())
    assert sum(d["swap"].values()) == 3000
    scale = MasterScale.from_dict(card["master_scale"])
    ga, gb = scale.grade_index(sa), scale.grade_index(sb)
    m = np.array(d["migration"]["matrix"])
    for i in range(scale.n_grades):
        for j in range(scale.n_grades):
            assert m[i, j] == int(((ga == i) & (gb == j)).sum())
    c = data_diff(card, b, rows, "grade:C")  # C or better is accepted, as serve reads it
    assert c["swap"]["accepted_by_both"] == int(((ga <= 2) & (gb <= 2)).sum())
    assert data_diff(card, b, rows, "C")["swap"] == c["swap"]  # the older bare form
    p = data_diff(card, b, rows, "pd:0.05")  # a pd cut-off: pd <= 0.05 is accepted
    pa = ScoringEngine(card).score(rows).pd
    cut = MasterScale.from_dict(card["master_scale"]).scaling
    assert p["swap"]["accepted_by_both"] == int(
        ((sa >= cut.score(np.array([0.05]))[0]) & (sb >= cut.score(np.array([0.05]))[0])).sum())
    assert (pa <= 0.05).sum() > 0


def test_recalibrated_card_keeps_scores_and_moves_grades(card: dict, rows: object) -> None:
    b, _ = recalibrate(card, rows, target_rate=0.03)
    s = structure_diff(card, b)
    assert s["changed"] == [] and set(s["scaling"]) == {"base_odds", "offset"}
    assert s["master_scale_changed"]
    d = data_diff(card, b, rows, "D")
    assert d["score_changed"] == 0
    assert d["swap"]["accepted_by_b_only"] == 0 < d["swap"]["accepted_by_a_only"]


def test_cli_table_and_matrix_files(card: dict, rows: object, tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    b = tmp_path / "b.json"
    from scorecard.card.artifact import dumps

    b.write_text(dumps(_edited(card)), encoding="utf-8")
    data = tmp_path / "rows.csv"
    write_dataset(rows, data, KLARNA)
    out = tmp_path / "diff"
    assert main(["diff", str(CARD), str(b), "--data", str(data), "--cutoff", "620",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "characteristics removed:" in text and "grade migration" in text
    saved = json.loads((out / "diff.json").read_text())
    with (out / "migration.csv").open() as fh:
        matrix = [[int(x) for x in r[1:]] for r in list(csv.reader(fh))[1:]]
    assert matrix == saved["data"]["migration"]["matrix"]
    assert main(["diff", str(CARD), str(b), "--data", str(data), "--cutoff", "Z"]) == 2
    assert "not a score (600), a pd (pd:0.05) or a grade (grade:E)" in capsys.readouterr().err
    assert main(["diff", str(CARD), str(b), "--data", str(data), "--cutoff", "grade:C"]) == 0
