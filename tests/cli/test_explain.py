"""``scorecard explain`` and ``scorecard predict --cutoff``, run through ``main`` on the
committed card; the answers are checked against the card layer and the HTTP API."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from scorecard.card.artifact import load_artifact, master_scale
from scorecard.card.decisions import make_policy
from scorecard.cli import EXIT_BAD_DATA, EXIT_OK, EXIT_USAGE, main
from tests.support.builders import generated_rows
from tests.support.paths import REPO

CARD = REPO / "reports" / "scorecard.json"
BASE = REPO / "tests" / "data" / "corpus" / "base.csv"


def test_explain_a_json_file_as_the_api_does(tmp_path: Path) -> None:
    rows = generated_rows()[:40]
    src = tmp_path / "applicants.json"
    src.write_text(json.dumps(rows))
    out = tmp_path / "explained.json"
    assert main(["explain", "--artifact", str(CARD), "--input", str(src), "--output", str(out),
                 "--cutoff", "grade:E", "--k", "2"]) == EXIT_OK
    doc = json.loads(out.read_text())
    artifact = load_artifact(CARD)
    assert doc["model_id"] == artifact["model_id"] and doc["count"] == len(rows)
    assert doc["policy"] == make_policy("grade:E", 0, artifact,
                                        master_scale(artifact)).to_dict()  # type: ignore[union-attr]
    with TestClient(create_app(Settings(artifact=CARD, cutoff="grade:E"))) as client:
        for row, got in zip(rows, doc["results"], strict=True):
            api = client.post("/v1/explain", json={"applicant": row, "k": 2}).json()
            for key in ("uuid", "score", "pd", "grade", "decision", "status",
                        "counterfactuals"):
                assert got[key] == api[key], key
            assert [r["code"] for r in got["reasons"]] == [r["code"] for r in api["reasons"]]
    assert {r["decision"] for r in doc["results"]} >= {"accept"}


def test_explain_reads_a_data_file_and_writes_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--artifact", str(CARD), "--input", str(BASE), "--cutoff", "650",
                 "--reason-method", "average"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    with BASE.open() as fh:
        n = sum(1 for _ in fh) - 1
    assert doc["count"] == n and doc["reason_method"] == "average"
    assert all(r["method"] == "average" for res in doc["results"] for r in res["reasons"])
    assert any(res["counterfactuals"] for res in doc["results"])


def test_explain_refuses_an_invalid_applicant_by_field(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.json"
    src.write_text(json.dumps([{"age": "old"}]))
    assert main(["explain", "--input", str(src), "--cutoff", "600"]) == EXIT_BAD_DATA
    assert "field age" in capsys.readouterr().err


def test_predict_adds_the_decision_of_the_policy(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    assert main(["predict", "--artifact", str(CARD), "--input", str(BASE), "--output",
                 str(out), "--cutoff", "grade:E", "--refer-band", "15"]) == EXIT_OK
    artifact = load_artifact(CARD)
    policy = make_policy("grade:E", 15, artifact, master_scale(artifact))
    assert policy is not None
    with out.open() as fh:
        rows: list[dict[str, Any]] = list(csv.DictReader(fh))
    assert rows and all(r["decision"] == policy.decide(int(r["score"])) for r in rows)
    plain = tmp_path / "q.csv"
    assert main(["predict", "--artifact", str(CARD), "--input", str(BASE), "--output",
                 str(plain)]) == EXIT_OK
    assert "decision" not in plain.read_text().splitlines()[0]
    assert main(["predict", "--artifact", str(CARD), "--input", str(BASE), "--output",
                 str(plain), "--cutoff", "grade:Q"]) == EXIT_USAGE
