"""The HTTP API: endpoints, errors, limits, auth, logs, metrics, start-up checks, the
numpy-free import surface, the scalar single-applicant path, and exact parity of the batch
endpoint with ``scorecard predict`` on the 10,000 real rows."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import logging
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from api.access_log import JsonFormatter, TurnHandler
from api.app import create_app
from api.openapi import example_applicant
from api.service import ScoringService
from api.settings import Settings, SettingsError
from scorecard.card.artifact import ArtifactError, dumps, load_artifact
from scorecard.card.engine import OMITTED, ScoringEngine
from scorecard.card.grades import assign_grades
from scorecard.card.reasons import top_reasons
from scorecard.data.contract import KLARNA
from scorecard.data.records import InvalidRecordsError
from tests.support.servers import free_port

# The documented example: synthetic, built from the contract.
EXAMPLE_APPLICANT = example_applicant(KLARNA.columns, KLARNA.id_column)

REPO = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def artifact(artifact_path: Path) -> dict[str, Any]:
    return load_artifact(artifact_path)


@pytest.fixture(scope="module")
def service(artifact: dict[str, Any]) -> ScoringService:
    return ScoringService(artifact)



@pytest.fixture()
def applicant() -> dict[str, Any]:
    return copy.deepcopy(EXAMPLE_APPLICANT)


def json_rows(path: Path) -> list[dict[str, Any]]:
    """File rows as API requests: NA -> null, booleans as booleans, numbers as numbers."""
    from scorecard.data.contract import KLARNA
    from scorecard.data.files import read_dataset

    frame = read_dataset(path, KLARNA).frame
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (bool(v) if isinstance(v, bool | np.bool_) else v) for k, v in r.items()}
            for r in rows]


@pytest.fixture(scope="module")
def real_rows(klarna_real_path: Path) -> list[dict[str, Any]]:
    return json_rows(klarna_real_path)


def engine_view(artifact: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the batch engine says about ``rows``: pd, score, grade, reason codes."""
    engine = ScoringEngine(artifact)
    result = engine.score({f: [r.get(f) for r in rows] for f in engine.features_})
    codes = [f["reason_code"] for f in artifact["features"]]
    picks = top_reasons(engine, result, 4)
    from scorecard.card.grades import MasterScale

    scale = MasterScale.from_dict(artifact["master_scale"])
    return {"pd": result.pd.tolist(), "score": result.score.tolist(),
            "grade": assign_grades(result.score, scale).tolist(), "bins": result.bins,
            "reasons": [[codes[j] for j in row if j >= 0] for row in picks]}


def issues(response: httpx.Response) -> set[tuple[Any, ...]]:
    return {(e.get("index"), e["field"], e["rule"]) for e in response.json()["errors"]}


# --------------------------------------------------------------------------- endpoints


def test_health_ready_ping(client: TestClient, service: ScoringService) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/v1/ping").json() == {"pong": True}
    assert client.post("/v1/ping", content=b"anything").json() == {"pong": True}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "model_id": service.model_id,
                            "content_hash": service.content_hash}


def test_score_one_real_applicant(client: TestClient, artifact: dict[str, Any],
                                  applicant: dict[str, Any]) -> None:
    r = client.post("/v1/score", json=applicant)
    assert r.status_code == 200, r.text
    body = r.json()
    want = engine_view(artifact, [applicant])
    assert body["uuid"] == applicant["uuid"]
    assert body["pd"] == want["pd"][0]
    assert body["score"] == want["score"][0]
    assert body["grade"] == want["grade"][0]
    assert [x["code"] for x in body["reasons"]] == want["reasons"][0]
    assert body["model_id"] == artifact["model_id"]
    assert body["content_hash"] == artifact["content_hash"]
    assert body["missing"] == [k for k, v in applicant.items()
                               if v is None and k not in ("uuid", "default")]
    for reason in body["reasons"]:
        assert set(reason) == {"code", "characteristic", "value", "bin", "points",
                               "attainable", "points_lost", "text"}
        assert reason["value"] == applicant[reason["characteristic"]]
        assert reason["points_lost"] == reason["attainable"] - reason["points"] > 0
        assert r.headers["x-request-id"]


def test_nullable_fields_may_be_null_or_absent(client: TestClient, artifact: dict[str, Any],
                                               service: ScoringService,
                                               applicant: dict[str, Any]) -> None:
    nullable = [c.name for c in service.columns if c.nullable and c.kind not in ("id", "target")]
    in_card = [n for n in nullable if n in service.engine.features_]
    absent = {k: v for k, v in applicant.items() if k not in nullable}
    nulled = {**applicant, **dict.fromkeys(nullable)}
    answers = {}
    for name, body in (("absent", absent), ("nulled", nulled)):
        r = client.post("/v1/score", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["missing"] == nullable
        answers[name] = r.json()
    # Null card features land in their missing bin; left out, in their riskiest bin
    # (OMITTED), so leaving them out never scores above sending them null.
    assert answers["nulled"]["score"] == engine_view(artifact, [nulled])["score"][0]
    omitted = {**absent, **dict.fromkeys(nullable, OMITTED)}
    assert answers["absent"]["score"] == engine_view(artifact, [omitted])["score"][0]
    assert answers["absent"]["score"] <= answers["nulled"]["score"]
    assert {g["field"] for g in answers["absent"]["gaps"]} == set(in_card)
    assert {g["status"] for g in answers["absent"]["gaps"]} == {"omitted"}
    assert {g["status"] for g in answers["nulled"]["gaps"]} == {"missing"}
    bins = engine_view(artifact, [nulled])["bins"][0]
    for name in in_card:
        j = service.engine.features_.index(name)
        f = artifact["features"][j]
        assert f["bins"][bins[j]]["type"] == "missing"


def test_uuid_optional_and_target_checked_then_ignored(client: TestClient,
                                                       applicant: dict[str, Any]) -> None:
    base = client.post("/v1/score", json=applicant).json()
    no_id = {k: v for k, v in applicant.items() if k != "uuid"}
    assert client.post("/v1/score", json=no_id).json()["uuid"] is None
    for label in (0, 1, 1.0, None):
        same = client.post("/v1/score", json={**applicant, "default": label}).json()
        assert (same["pd"], same["score"]) == (base["pd"], base["score"])
    bad = client.post("/v1/score", json={**applicant, "default": 2})
    assert bad.status_code == 422 and issues(bad) == {(None, "default", "isin")}


def test_every_offending_field_is_named(client: TestClient, applicant: dict[str, Any]) -> None:
    body = {**applicant, "age": 17, "time_hours": 24, "merchant_group": "Groceries",
            "has_paid": "True", "num_active_inv": 1.5, "account_status": 5,
            "recovery_debt": "12", "uuid": "", "name_in_email": None, "colour": "red",
            "avg_payment_span_0_12m": -1, "num_unpaid_bills": 10**400}
    r = client.post("/v1/score", json=body)
    assert r.status_code == 422
    assert issues(r) == {
        (None, "age", "greater_than_or_equal_to"), (None, "time_hours", "less_than"),
        (None, "merchant_group", "isin"), (None, "has_paid", "dtype"),
        (None, "num_active_inv", "integer"), (None, "account_status", "isin"),
        (None, "recovery_debt", "dtype"), (None, "uuid", "str_length"),
        (None, "colour", "unknown_field"),
        (None, "avg_payment_span_0_12m", "greater_than_or_equal_to"),
        (None, "num_unpaid_bills", "finite"),
    }
    assert all(e["message"] for e in r.json()["errors"])


def test_required_fields_and_allow_missing(artifact_path: Path, service: ScoringService,
                                           artifact: dict[str, Any],
                                           applicant: dict[str, Any]) -> None:
    required = [c.name for c in service.columns
                if not c.nullable and c.kind not in ("id", "target")]
    partial = {k: v for k, v in applicant.items() if k not in required}
    with TestClient(create_app(Settings(artifact=artifact_path,
                                        allow_missing=False))) as strict:
        r = strict.post("/v1/score", json=partial)
        assert r.status_code == 422
        assert issues(r) == {(None, name, "not_nullable") for name in required}
    with TestClient(create_app(Settings(artifact=artifact_path, allow_missing=True))) as lax:
        r = lax.post("/v1/score", json=partial)
        assert r.status_code == 200, r.text
        assert set(required) <= set(r.json()["missing"])
        # Left out: each scored in its characteristic's riskiest bin.
        omitted = {**partial, **dict.fromkeys(required, OMITTED)}
        assert r.json()["score"] == engine_view(artifact, [omitted])["score"][0]


@pytest.mark.parametrize(("content", "status"), [
    (b"{not json", 400), (b"", 400), (b"[1, 2", 400), (b"\xff\xfe", 400),
    (b"[" * 30_000 + b"]" * 30_000, 400), (b'{"age":' * 6000 + b"1" + b"}" * 6000, 400),
    (b"[]", 422), (b"42", 422), (b"null", 422), (b'"text"', 422),
])
@pytest.mark.parametrize("path", ["/v1/score", "/v1/score/batch"])
def test_body_that_is_not_an_applicant(client: TestClient, path: str, content: bytes,
                                       status: int) -> None:
    if path.endswith("batch") and content == b"[]":
        status = 200  # an empty batch is a valid batch
    r = client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json().get("status_code", 200) == status


def test_oversized_bodies_and_batches(artifact_path: Path, applicant: dict[str, Any]) -> None:
    with TestClient(create_app(Settings(artifact=artifact_path, max_batch=3,
                                        max_body_bytes=8192))) as c:
        assert c.post("/v1/score", json={**applicant, "uuid": "x" * 70_000}).status_code == 413
        assert c.post("/v1/score/batch", json=[applicant] * 3).status_code == 200
        too_many = c.post("/v1/score/batch", json=[{"uuid": "a"}] * 4)
        assert too_many.status_code == 422 and issues(too_many) == {(None, "$", "max_items")}
        assert c.post("/v1/score/batch", json=[applicant] * 7).status_code == 413


def test_batch_order_errors_and_empty(client: TestClient, artifact: dict[str, Any],
                                      applicant: dict[str, Any]) -> None:
    rows = [{**applicant, "uuid": f"id-{i}", "age": 18 + 7 * i, "time_hours": 3.5 * i}
            for i in range(6)]
    r = client.post("/v1/score/batch", json=rows)
    assert r.status_code == 200
    body = r.json()
    want = engine_view(artifact, rows)
    assert body["count"] == 6
    assert [x["uuid"] for x in body["results"]] == [row["uuid"] for row in rows]
    assert [x["score"] for x in body["results"]] == want["score"]
    assert [x["pd"] for x in body["results"]] == want["pd"]
    # Each item equals its single-applicant score, but for its own decision id.
    for row, item in zip(rows, body["results"], strict=True):
        single = client.post("/v1/score", json=row).json()
        assert single.pop("decision_id") != item.pop("decision_id")
        assert single == item

    bad = [*rows]
    bad[2] = {**rows[2], "age": "old"}
    bad[4] = {**rows[4], "merchant_category": "Spaceships", "extra": 1}
    r = client.post("/v1/score/batch", json=bad)
    assert r.status_code == 422
    assert issues(r) == {(2, "age", "dtype"), (4, "merchant_category", "isin"),
                         (4, "extra", "unknown_field")}
    r = client.post("/v1/score/batch", json=[rows[0], "applicant"])
    assert r.status_code == 422 and issues(r) == {(1, "$", "type")}
    assert client.post("/v1/score/batch", json={"rows": rows}).status_code == 422
    empty = client.post("/v1/score/batch", json=[])
    assert empty.status_code == 200 and empty.json()["count"] == 0


def test_scorecard_endpoint_publishes_the_card(client: TestClient,
                                               artifact: dict[str, Any]) -> None:
    card = client.get("/v1/scorecard").json()
    assert card["model_id"] == artifact["model_id"]
    assert card["content_hash"] == artifact["content_hash"]
    assert [f["name"] for f in card["features"]] == [f["name"] for f in artifact["features"]]
    for mine, theirs in zip(card["features"], artifact["features"], strict=True):
        assert [b["points"] for b in mine["bins"]] == [b["points"] for b in theirs["bins"]]
        assert [b["label"] for b in mine["bins"]] == [b["label"] for b in theirs["bins"]]
        assert mine["reason_code"] == theirs["reason_code"]
    assert card["scaling"]["pdo"] == artifact["scaling"]["pdo"]
    assert card["master_scale"]["grades"] == artifact["master_scale"]["grades"]
    assert len(card["master_scale"]["table"]) == len(artifact["master_scale"]["grades"])
    assert [c["name"] for c in card["input_contract"]] == [
        c["name"] for c in artifact["input_contract"]]


def test_openapi_documents_the_contract(client: TestClient, service: ScoringService) -> None:
    doc = client.get("/schema/openapi.json").json()
    applicant = doc["components"]["schemas"]["Applicant"]
    assert set(applicant["properties"]) == {c.name for c in service.columns}
    assert applicant["additionalProperties"] is False
    media = doc["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    assert media["examples"]["applicant"]["value"]["uuid"] == EXAMPLE_APPLICANT["uuid"]
    batch = doc["paths"]["/v1/score/batch"]["post"]["requestBody"]["content"]
    assert batch["application/json"]["schema"]["maxItems"] == 10_000
    assert client.get("/schema/swagger").status_code == 200


def test_the_documented_example_is_synthetic_and_valid(client: TestClient,
                                                       service: ScoringService) -> None:
    doc = client.get("/schema/openapi.json").json()
    media = doc["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    example = media["examples"]["applicant"]["value"]
    assert example == example_applicant(service.columns, service.id_column)
    assert example["uuid"] == "00000000-0000-4000-8000-000000000001"
    # Valid even where the file contract requires every feature, and scored.
    strict = ScoringService(service.artifact, allow_missing=False)
    assert strict.validator.check_one(example) == []
    scored = client.post("/v1/score", json=example)
    assert scored.status_code == 200 and scored.json()["grade"]


def test_the_documented_example_is_no_real_applicant(klarna_real_path: Path) -> None:
    with klarna_real_path.open(newline="") as fh:
        uuids = {row["uuid"] for row in csv.DictReader(fh, delimiter=";")}
    assert EXAMPLE_APPLICANT["uuid"] not in uuids


# --------------------------------------------------------------------------- auth


def test_api_key(artifact_path: Path, applicant: dict[str, Any]) -> None:
    scored = REGISTRY.get_sample_value("scorecard_applicants_scored_total",
                                       {"endpoint": "single"}) or 0.0
    with TestClient(create_app(Settings(artifact=artifact_path, api_key="s3cret"))) as c:
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": "s3cret "},
                        {"X-API-Key": ""}):
            r = c.post("/v1/score", json=applicant, headers=headers)
            assert r.status_code == 401, headers
            assert r.headers["www-authenticate"].startswith("ApiKey ")
            assert r.json()["detail"].startswith("missing or invalid API key")
            assert c.get("/v1/scorecard", headers=headers).status_code == 401
            assert c.get("/metrics", headers=headers).status_code == 401
            # Not parsed either: a malformed body still gets 401, not 400.
            assert c.post("/v1/score", content=b"{", headers=headers).status_code == 401
        after = REGISTRY.get_sample_value("scorecard_applicants_scored_total",
                                          {"endpoint": "single"}) or 0.0
        assert after == scored
        ok = c.post("/v1/score", json=applicant, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200
        # The probes stay open; the metrics need the key.
        for path in ("/health", "/ready"):
            assert c.get(path).status_code == 200
        metrics = c.get("/metrics", headers={"X-API-Key": "s3cret"})
        assert metrics.status_code == 200 and "scorecard_http_requests" in metrics.text
        doc = c.get("/schema/openapi.json").json()
        assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"


# --------------------------------------------------------------------------- logs, metrics


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class _Writes(io.StringIO):
    """A stream that remembers each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def test_log_lines_of_one_loop_turn_are_written_at_its_end_in_one_write() -> None:
    stream = _Writes()
    handler = TurnHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("scorecard.test-turns")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning({"event": "outside a loop"})  # no loop: written at once
        assert len(stream.writes) == 1

        async def turn() -> int:
            for i in range(3):
                logger.warning({"event": "in a turn", "i": i})
            kept = len(stream.writes)
            await asyncio.sleep(0)  # the turn ends: the flush scheduled by the first line runs
            return kept

        assert asyncio.run(turn()) == 1  # nothing written during the turn
        assert len(stream.writes) == 2
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert [line.get("i") for line in lines] == [None, 0, 1, 2]
    finally:
        logger.removeHandler(handler)


def test_access_logs_are_json_without_applicant_data(client: TestClient,
                                                     applicant: dict[str, Any]) -> None:
    capture = _Capture()
    logger = logging.getLogger("scorecard")
    logger.addHandler(capture)
    try:
        secret = {**applicant, "uuid": "applicant-7f3a-secret", "merchant_category": "Tobacco"}
        client.post("/v1/score", json=secret, headers={"X-Request-ID": "trace-123"})
        client.post("/v1/score", json={**secret, "age": 12345})
        client.post("/v1/score/batch", json=[secret])
        client.get("/no/such/path")
    finally:
        logger.removeHandler(capture)
    assert len(capture.lines) == 4
    records = [json.loads(line) for line in capture.lines]
    assert {tuple(sorted(r)) for r in records} == {tuple(sorted(
        ["ts", "level", "logger", "event", "method", "path", "route", "status", "duration_ms",
         "request_id"]))}
    assert [r["status"] for r in records] == [200, 422, 200, 404]
    for record in records:  # ISO 8601 UTC to the microsecond, as the decision log's times
        when = datetime.fromisoformat(record["ts"])
        assert record["ts"].endswith("Z") and len(record["ts"]) == 27
        assert abs((datetime.now(UTC) - when).total_seconds()) < 600
    assert records[0]["request_id"] == "trace-123"
    assert records[3]["route"] == "unmatched"
    text = "\n".join(capture.lines)
    for value in ("applicant-7f3a-secret", "Tobacco", "12345", applicant["merchant_group"]):
        assert value not in text


def test_metrics(client: TestClient, applicant: dict[str, Any]) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("scorecard_applicants_scored_total", endpoint="batch")
    ok_before = sample("scorecard_http_requests_total", method="POST", route="/v1/score",
                       status="2xx")
    client.post("/v1/score", json=applicant)
    client.post("/v1/score/batch", json=[applicant] * 3)
    assert sample("scorecard_applicants_scored_total", endpoint="batch") == before + 3
    assert sample("scorecard_http_requests_total", method="POST", route="/v1/score",
                  status="2xx") == ok_before + 1
    text = client.get("/metrics")
    assert text.headers["content-type"].startswith("text/plain")
    assert 'scorecard_http_request_duration_seconds_bucket{le="0.005",method="POST",' \
           'route="/v1/score",status="2xx"}' in text.text
    assert "scorecard_model_info{" in text.text


# --------------------------------------------------------------------------- start-up


@pytest.fixture()
def tampered(artifact: dict[str, Any], tmp_path: Path) -> Path:
    edited = copy.deepcopy(artifact)
    edited["features"][0]["bins"][0]["points"] += 5
    path = tmp_path / "tampered.json"
    path.write_text(dumps(edited))
    return path


def test_create_app_refuses_a_tampered_artifact(tampered: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"refusing to start.*content_hash"):
        create_app(Settings(artifact=tampered))
    with pytest.raises(ArtifactError, match="does not exist"):
        create_app(Settings(artifact=tmp_path / "none.json"))


def test_serve_refuses_a_tampered_artifact(tampered: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from scorecard.cli import EXIT_BAD_ARTIFACT, main

    assert main(["serve", "--artifact", str(tampered)]) == EXIT_BAD_ARTIFACT
    assert "content_hash" in capsys.readouterr().err


def test_serve_runs_uvicorn_with_the_factory(artifact_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from scorecard.cli import main

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def fake_run(*args: Any, **kwargs: Any) -> None:
        assert Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
        calls.append((args, kwargs))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setenv("SCORECARD_ARTIFACT", "")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    assert main(["serve", "--artifact", str(artifact_path), "--port", "8123",
                 "--workers", "2"]) == 0
    (args, kwargs), = calls
    assert args == ("api.app:create_app",)
    assert kwargs["factory"] is True and kwargs["workers"] == 2 and kwargs["port"] == 8123
    assert kwargs["host"] == "127.0.0.1"
    assert os.environ["SCORECARD_ARTIFACT"] == str(artifact_path.resolve())
    assert not Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).exists()  # cleaned up on exit


def test_settings_from_env(tmp_path: Path) -> None:
    s = Settings.from_env({"SCORECARD_ARTIFACT": str(tmp_path / "c.json"),
                           "SCORECARD_API_KEY": "k", "SCORECARD_MAX_BATCH": "500",
                           "SCORECARD_MAX_BODY_BYTES": "1_000_000",
                           "SCORECARD_ALLOW_MISSING": "true"})
    assert s == Settings(tmp_path / "c.json", "k", 500, 1_000_000, True)
    default = Settings.from_env({"SCORECARD_API_KEY": ""})
    assert default.api_key is None and default.max_batch == 10_000
    assert default.artifact == REPO / "reports" / "scorecard.json"
    assert (default.header_timeout_s, default.body_timeout_s) == (10.0, 30.0)
    timed = Settings.from_env({"SCORECARD_HEADER_TIMEOUT_S": "2.5",
                               "SCORECARD_BODY_TIMEOUT_S": "60"})
    assert (timed.header_timeout_s, timed.body_timeout_s) == (2.5, 60.0)
    for bad in ({"SCORECARD_MAX_BATCH": "lots"}, {"SCORECARD_MAX_BATCH": "0"},
                {"SCORECARD_ALLOW_MISSING": "maybe"}, {"SCORECARD_MAX_BODY_BYTES": "10"},
                {"SCORECARD_HEADER_TIMEOUT_S": "soon"}, {"SCORECARD_HEADER_TIMEOUT_S": "0"},
                {"SCORECARD_BODY_TIMEOUT_S": "inf"}, {"SCORECARD_BODY_TIMEOUT_S": "-1"}):
        with pytest.raises(SettingsError, match=next(iter(bad))):
            Settings.from_env(bad)


def _run(code: str, env: dict[str, str] | None = None) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, env={**os.environ, **(env or {})}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


HEAVY = ("pandas", "pandera", "optbinning", "statsmodels", "sklearn", "scipy", "matplotlib")


def test_api_imports_no_training_stack(artifact_path: Path) -> None:
    code = (
        "import os, sys\n"
        "import api.app\n"
        "from api.openapi import example_applicant\n"
        "from api.service import ScoringService\n"
        "api.app.create_app()\n"
        "s = ScoringService.from_path(os.environ['SCORECARD_ARTIFACT'])\n"
        "A = example_applicant(s.columns, s.id_column)\n"
        "s.score_one(A), s.score_batch([A, A])\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
    )
    assert _run(code, {"SCORECARD_ARTIFACT": str(artifact_path)}).strip() == "[]"
    cli = ("import sys, scorecard.cli.serve\n"
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('api', 'uvicorn')))\n")
    assert _run(cli).strip() == "[]"




def test_scorecard_serve_end_to_end(artifact_path: Path, applicant: dict[str, Any]) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from scorecard.cli import main; sys.exit(main())",
         "serve", "--artifact", str(artifact_path), "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        r = httpx.post(f"{url}/v1/score", json=applicant, timeout=5)
        assert r.status_code == 200 and r.json()["uuid"] == applicant["uuid"]
        assert "server" not in r.headers
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    access = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(a["path"] == "/v1/score" and a["status"] == 200 for a in access)


# --------------------------------------------------------------------------- robustness


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_breaks_the_service(service: ScoringService, data: st.DataObject) -> None:
    names = [c.name for c in service.columns]
    base = dict(EXAMPLE_APPLICANT)
    keys = data.draw(st.lists(st.sampled_from([*names, "zz_extra"]), max_size=6, unique=True))
    for k in keys:
        base[k] = data.draw(_json_values)
    payload = data.draw(st.sampled_from([base, [base, base], base.get("age")]))
    try:
        if isinstance(payload, list):
            service.score_batch(payload)
        else:
            service.score_one(payload)
    except InvalidRecordsError as exc:
        assert exc.issues


# --------------------------------------------------------------------------- scalar path


def _feature_values(service: ScoringService) -> dict[str, st.SearchStrategy[Any]]:
    out: dict[str, st.SearchStrategy[Any]] = {}
    for f in service.artifact["features"]:
        if f["kind"] == "numeric":
            splits = [float(s) for s in f["splits"]]
            codes = [float(c) for b in f["bins"] if b["type"] == "special" for c in b["codes"]]
            near = [np.nextafter(s, d) for s in splits for d in (-np.inf, np.inf)]
            out[f["name"]] = st.one_of(
                st.none(), st.sampled_from(splits + near + codes or [0.0]),
                st.floats(allow_nan=False, allow_infinity=False, width=64),
                st.integers(-(2**60), 2**60))
        else:
            cats = [c for b in f["bins"] if b["type"] == "regular" for c in b["categories"]]
            out[f["name"]] = st.one_of(st.none(), st.sampled_from(cats), st.text(max_size=4),
                                       st.booleans())
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_row_scorer_equals_engine(service: ScoringService, data: st.DataObject) -> None:
    values = _feature_values(service)
    rows = [{name: data.draw(s) for name, s in values.items()} for _ in range(8)]
    engine = service.engine
    result = engine.score({n: [r[n] for r in rows] for n in engine.features_})
    picks = top_reasons(engine, result, 4)
    for i, row in enumerate(rows):
        single = engine.score({n: [row[n]] for n in engine.features_})
        bins, points, total = service.row.score(row)
        assert bins == single.bins[0].tolist()
        assert points == single.points[0].tolist() == result.points[i].tolist()
        assert total == int(single.score[0])
        assert service.row.pd_table[total - service.row.lo] == float(single.pd[0])
        assert service.row.reasons(points) == [j for j in picks[i].tolist() if j >= 0]


@pytest.mark.shared
def test_single_path_equals_batch_on_real_rows(service: ScoringService,
                                               real_rows: list[dict[str, Any]]) -> None:
    batch = service.score_batch(real_rows).results
    singles = [service.score_one(row) for row in real_rows]
    # Equal but for the decision id, which names each answer.
    assert [msgspec.structs.replace(s, decision_id="") for s in singles] == \
        [msgspec.structs.replace(b, decision_id="") for b in batch]
    ids = [s.decision_id for s in singles] + [b.decision_id for b in batch]
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------- parity


@pytest.mark.shared
def test_batch_endpoint_matches_scorecard_predict(client: TestClient, artifact_path: Path,
                                                  klarna_real_path: Path,
                                                  real_rows: list[dict[str, Any]],
                                                  tmp_path: Path) -> None:
    from scorecard.cli import main

    out = tmp_path / "predictions.csv"
    assert main(["predict", "--artifact", str(artifact_path), "--input",
                 str(klarna_real_path), "--output", str(out)]) == 0
    with out.open(newline="") as fh:
        expected = list(csv.DictReader(fh))
    r = client.post("/v1/score/batch", content=msgspec.json.encode(real_rows),
                    headers={"content-type": "application/json"})
    assert r.status_code == 200
    got = msgspec.json.decode(r.content)["results"]
    assert len(got) == len(expected) == 10_000
    for e, g in zip(expected, got, strict=True):
        assert g["uuid"] == e["uuid"]
        assert g["pd"] == float(e["pd"]) and not math.isnan(g["pd"])
        assert g["score"] == int(e["score"])
        assert [x["code"] for x in g["reasons"]] == [
            e[f"reason_{k}"] for k in range(1, 5) if e[f"reason_{k}"]]
