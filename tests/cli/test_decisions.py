"""``scorecard decisions ...`` and ``monitor --decision-log`` on logs the real service wrote
(SQLite and a real PostgreSQL): verify names a hand-edited record, replay finds no
difference, purge keeps verify whole, export, show, outcomes, and monitoring from the log
gives exactly the figures of the same applicants' file."""

from __future__ import annotations

import contextlib
import copy
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.openapi import example_applicant
from api.settings import Settings
from scorecard.cli import main
from scorecard.data.contract import KLARNA
from scorecard.data.decision_log import open_store

APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)


def applicants(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        a = copy.deepcopy(APPLICANT)
        a["uuid"] = f"applicant-{i}"
        a["age"] = 18 + i % 70
        a["num_unpaid_bills"] = i % 9
        out.append(a)
    return out


def serve(artifact_path: Path, url: str, rows: list[dict[str, Any]], explain: bool = True,
          **settings: Any) -> list[dict[str, Any]]:
    """``rows`` scored by the real app (batches of 500 and a few single calls), and the
    first explained."""
    out = []
    with TestClient(create_app(Settings(artifact=artifact_path, decision_log=url,
                                        **settings))) as client:
        for row in rows[:3]:
            out.append(client.post("/v1/score", json=row).json())
        for i in range(3, len(rows), 500):
            r = client.post("/v1/score/batch", content=msgspec.json.encode(rows[i:i + 500]),
                            headers={"content-type": "application/json"})
            assert r.status_code == 200
            out += r.json()["results"]
        if explain:
            r = client.post("/v1/explain", json={"applicant": rows[0], "cutoff": "600"})
            assert r.status_code == 200
            out.append(r.json())
    return out


def test_verify_passes_then_names_the_record_whose_pd_was_edited(
        artifact_path: Path, log_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    answers = serve(artifact_path, log_url, applicants(40), cutoff="600")
    assert main(["decisions", "verify", "--log", log_url]) == 0
    assert "intact: 41 records in 1 chain(s)" in capsys.readouterr().out
    victim = answers[17]["decision_id"]
    store = open_store(log_url)
    store.begin()
    store.execute("UPDATE decisions SET pd = pd / 2 WHERE decision_id = ?", (victim,))
    store.commit()
    assert main(["decisions", "verify", "--log", log_url]) == 1
    err = capsys.readouterr().err
    assert f"decision {victim}: its content does not match its hash (altered)" in err
    assert "NOT intact: 1 finding(s)" in err


def test_replay_finds_no_difference_and_names_an_edited_score(
        artifact_path: Path, log_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    answers = serve(artifact_path, log_url, applicants(600), cutoff="600",
                    reason_method="cutoff")
    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(artifact_path, cards / "live.json")
    (cards / "notes.json").write_text("{}")  # not a card: skipped
    assert main(["decisions", "replay", "--log", log_url, "--cards", str(cards)]) == 0
    assert "replayed 601 decisions with 1 card(s): 0 difference(s)" in capsys.readouterr().err
    victim = answers[5]["decision_id"]
    store = open_store(log_url)
    store.begin()
    store.execute("UPDATE decisions SET score = score + 1 WHERE decision_id = ?", (victim,))
    store.commit()
    assert main(["decisions", "replay", "--log", log_url, "--cards", str(cards)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"decision {victim}: score logged {answers[5]['score'] + 1}, "
                          f"replayed {answers[5]['score']}")
    (cards / "live.json").unlink()
    assert main(["decisions", "replay", "--log", log_url, "--cards", str(cards)]) == 1
    assert "no card with content hash" in capsys.readouterr().out


def test_show_export_and_purge(artifact_path: Path, log_url: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    answers = serve(artifact_path, log_url, applicants(20))
    first = answers[0]["decision_id"]
    assert main(["decisions", "show", first, "--log", log_url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["score"] == answers[0]["score"] and shown["inputs"]["uuid"] == "applicant-0"
    assert main(["decisions", "show", "nope", "--log", log_url]) == 2
    for name in ("all.csv", "all.parquet"):
        assert main(["decisions", "export", "--log", log_url, "--output",
                     str(tmp_path / name)]) == 0
    frame = pd.read_csv(tmp_path / "all.csv")
    assert len(frame) == 21 and frame["decision_id"].tolist() == sorted(frame["decision_id"])
    assert pd.read_parquet(tmp_path / "all.parquet")["score"].tolist() == \
        frame["score"].tolist()
    assert main(["decisions", "export", "--log", log_url, "--from", "2999-01-01",
                 "--output", str(tmp_path / "none.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "none.csv")) == 0
    # Purge everything received before a time between two groups of answers.
    store = open_store(log_url)
    store.begin()
    store.execute("UPDATE decisions SET received = '2020-01-01T00:00:00.000000Z' "
                  "WHERE seq <= 5")  # as if written years ago (verify would object)
    store.commit()
    assert main(["decisions", "purge", "--log", log_url, "--before", "2021-01-01"]) == 0
    assert open_store(log_url).count() == 16
    assert main(["decisions", "verify", "--log", log_url]) == 0


def test_a_log_that_cannot_be_opened_is_one_line_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    monkeypatch.delenv("SCORECARD_DECISION_LOG", raising=False)
    for argv in (["decisions", "verify", "--log", f"sqlite:///{tmp_path}/no/such.db"],
                 ["decisions", "verify", "--log", "oracle://x"],
                 ["decisions", "verify"],
                 ["decisions", "purge", "--log", "sqlite:///x.db", "--before", "soon"]):
        with pytest.raises(SystemExit) if "soon" in argv else contextlib.nullcontext():
            assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) in (1, 2) and "Traceback" not in err  # argparse: usage+1
    # The server refuses to start on one.
    monkeypatch.setenv("SCORECARD_DECISION_LOG", "postgresql://u:pw@127.0.0.1:1/x")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: decision log 'postgresql://u:***@127.0.0.1:1/x': cannot "
                          "connect") and "pw" not in err and len(err.splitlines()) == 1


@pytest.mark.shared
def test_monitor_from_the_log_equals_monitor_of_the_file_and_outcomes_attach(
        artifact_path: Path, klarna_real_path: Path, tmp_path: Path) -> None:
    from tests.api.test_api import json_rows

    rows = json_rows(klarna_real_path)[:3000]
    url = f"sqlite:///{tmp_path}/log.db"
    answers = serve(artifact_path, url, rows, explain=False)
    subset = tmp_path / "subset.csv"
    with klarna_real_path.open(newline="") as src, subset.open("w", newline="") as dst:
        dst.writelines(src.readlines()[:3001])
    assert main(["monitor", "--artifact", str(artifact_path), "--input", str(subset),
                 "--out", str(tmp_path / "file")]) in (0, 5)
    assert main(["monitor", "--artifact", str(artifact_path), "--decision-log", url,
                 "--period", "month", "--out", str(tmp_path / "log")]) in (0, 5)
    by_file = json.loads((tmp_path / "file" / "monitoring.json").read_text())["periods"]
    by_log = json.loads((tmp_path / "log" / "monitoring.json").read_text())["periods"]
    assert len(by_file) == len(by_log) == 1
    for p in (by_file[0], by_log[0]):
        p.pop("name")
    assert by_log[0] == by_file[0] and by_log[0]["volume"] == 3000
    # Observed defaults by applicant id: every decision of that applicant.
    outcomes = tmp_path / "outcomes.csv"
    with outcomes.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["uuid", "default"])
        w.writerows([(a["uuid"], i % 7 == 0) for i, a in enumerate(answers)])
    outcomes.write_text(outcomes.read_text().replace("True", "1").replace("False", "0"))
    assert main(["decisions", "outcomes", "--log", url, "--input", str(outcomes)]) == 0
    store = open_store(url)
    assert sum(store.outcomes().values()) == sum(1 for i in range(3000) if i % 7 == 0)
    assert main(["monitor", "--artifact", str(artifact_path), "--decision-log", url,
                 "--outcomes", "--out", str(tmp_path / "backtest")]) in (0, 5)
    report = json.loads((tmp_path / "backtest" / "monitoring.json").read_text())
    assert report["periods"][0]["outcomes"]["auc"] is not None
