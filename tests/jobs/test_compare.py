"""``scorecard registry compare`` on the traffic a real server logged: it equals ``scorecard
diff`` of the two cards on a file of the same applicants, and with outcomes attached it
gives both AUCs with the paired DeLong test."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from scorecard.card.artifact import load_artifact
from scorecard.card.engine import ScoringEngine
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import open_store
from scorecard.data.files import read_dataset, write_dataset
from scorecard.data.synthetic.drift import generate_period
from scorecard.registry.lifecycle import Registry
from tests.support.registry import CARD, champion, edited_card, write_card
from tests.support.servers import free_port, start_uvicorn
from validation.discrimination import delong_test

ROWS = 1500


def _json_rows(path: Path) -> list[dict[str, Any]]:
    """The file's rows as API requests (NA as null)."""
    frame = read_dataset(path, KLARNA).frame
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (bool(v) if isinstance(v, bool | np.bool_) else v) for k, v in r.items()}
            for r in rows]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A registry (the published card champion, an edit of it challenger), a file of
    applicants, and a real server's log of scoring them."""
    tmp = tmp_path_factory.mktemp("compare")
    store = str(tmp / "registry")
    reg = Registry(store)
    challenger = write_card(tmp / "b", edited_card(champion(), 25))
    ids = []
    for path, role in ((CARD, "champion"), (challenger, "challenger")):
        cid = reg.add(path, "alice")["card"]
        reg.approve(cid, "bob", "validated")
        reg.promote(cid, role, "bob", "shadow run")
        ids.append(cid)
    data = tmp / "applicants.csv"
    write_dataset(generate_period(1, ROWS, 0, 4, [])[0], data, KLARNA)
    log_url = f"sqlite:///{tmp}/log.db"
    env = {**os.environ, "SCORECARD_REGISTRY": store, "SCORECARD_DECISION_LOG": log_url,
           "SCORECARD_CUTOFF": "600", "SCORECARD_MAX_IN_FLIGHT": "0"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    server = start_uvicorn(port, "api.protocols:TimedHttpToolsProtocol", env, tmp / "s.log")
    try:
        rows = _json_rows(data)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for i in range(0, 300):  # one at a time, then the rest in batches
                assert client.post("/v1/score", json=rows[i]).status_code == 200
            for i in range(300, len(rows), 400):
                assert client.post("/v1/score/batch", json=rows[i:i + 400]).status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    return {"store": store, "log": log_url, "data": data, "challenger": challenger,
            "ids": ids, "tmp": tmp}


def _compare(logged: dict[str, Any], capsys: pytest.CaptureFixture[str],
             *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["registry", "compare", "--store", logged["store"], "--decision-log",
                 logged["log"], "--challenger", logged["ids"][1][:10], "--json",
                 *extra]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_compare_on_the_logged_traffic_equals_diff_on_the_same_applicants(
        logged: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    result = _compare(logged, capsys)
    out = logged["tmp"] / "diff"
    assert main(["diff", str(CARD), str(logged["challenger"]), "--data", str(logged["data"]),
                 "--cutoff", "600", "--out", str(out)]) == 0
    diff = json.loads((out / "diff.json").read_text())["data"]
    assert result["records"] == ROWS and result["data"] == diff
    swap = diff["swap"]
    assert swap["accepted_by_a_only"] + swap["accepted_by_b_only"] > 0  # the cards differ
    assert result["psi"]["value"] > 0 and "auc" not in result and result["outcomes"] == 0


def test_the_cutoff_of_the_records_is_the_default_and_another_can_be_asked(
        logged: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert _compare(logged, capsys)["data"]["cutoff"] == "600"
    other = _compare(logged, capsys, "--cutoff", "grade:C")
    out = logged["tmp"] / "diff_c"
    assert main(["diff", str(CARD), str(logged["challenger"]), "--data", str(logged["data"]),
                 "--cutoff", "grade:C", "--out", str(out)]) == 0
    assert other["data"]["swap"] == json.loads((out / "diff.json").read_text())["data"]["swap"]


def test_with_outcomes_attached_both_aucs_and_the_delong_test_are_reported(
        logged: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frame = read_dataset(logged["data"], KLARNA).frame
    y = frame["default"].to_numpy(dtype=int)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("uuid,default\n" + "".join(
        f"{u},{d}\n" for u, d in zip(frame["uuid"], y, strict=True)))
    assert main(["decisions", "outcomes", "--log", logged["log"], "--input",
                 str(outcomes)]) == 0
    result = _compare(logged, capsys)
    sa = ScoringEngine(load_artifact(CARD)).score(frame).score
    sb = ScoringEngine(load_artifact(logged["challenger"])).score(frame).score
    expected = delong_test(y, sa, sb, higher_is_riskier_a=False, higher_is_riskier_b=False)
    auc = result["auc"]
    assert result["outcomes"] == ROWS and auc["n"] == ROWS
    assert auc["champion"] == pytest.approx(expected.auc_a, abs=1e-12)
    assert auc["challenger"] == pytest.approx(expected.auc_b, abs=1e-12)
    assert auc["p_value"] == pytest.approx(expected.p_value, abs=1e-12)
    capsys.readouterr()
    assert main(["registry", "compare", "--store", logged["store"], "--decision-log",
                 logged["log"], "--challenger", logged["ids"][1]]) == 0
    text = capsys.readouterr().out
    assert "swap-in (challenger only)" in text and "DeLong z" in text
    assert open_store(logged["log"]).count() == ROWS


def test_a_card_never_in_shadow_is_one_clear_line(logged: dict[str, Any],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["registry", "compare", "--store", logged["store"], "--decision-log",
                 logged["log"], "--challenger", logged["ids"][0]]) == 2
    assert "no answer of" in capsys.readouterr().err
