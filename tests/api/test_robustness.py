"""Faulty artifacts and hostile requests.

Artifact faults (edited points, edited hash, missing fields, unknown schema version, a
re-sealed card the engine cannot use, broken JSON): ``scorecard predict`` exits 4 saying what
is wrong, ``create_app`` raises instead of starting, and ``scorecard serve`` / ``uvicorn
--factory`` exit non-zero without ever listening.

Requests (Litestar TestClient on the committed card): any JSON value, any bytes, and valid
applicants with fields mutated into wrong types, huge numbers, NaN spellings, nested objects
and unicode never get a 5xx; a mutated applicant is accepted exactly when every mutated field
satisfies the contract, and the 422 names exactly the offending fields. Batch and single
scoring return identical results.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from api.app import create_app
from api.service import ScoringService
from api.settings import SINGLE_BODY_BYTES, Settings
from scorecard.card.artifact import ArtifactError, dumps, load_artifact, seal
from scorecard.cli import EXIT_BAD_ARTIFACT, main
from scorecard.data.contract import Column
from tests.support.builders import card_splits, generated_rows
from tests.support.servers import free_port
from tests.support.strategies import applicants

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CORPUS = REPO / "tests" / "data" / "corpus"
HYP = settings(max_examples=120, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def artifact(artifact_path: Path) -> dict[str, Any]:
    return load_artifact(artifact_path)


# --------------------------------------------------------------------------- artifact faults


def _numeric(a: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in a["features"] if f["kind"] == "numeric")


def _faults(artifact: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (file text, what the message must say)."""
    out: dict[str, tuple[str, str]] = {}

    def edit(name: str, message: str, change: Any, reseal: bool = False) -> None:
        a = copy.deepcopy(artifact)
        change(a)
        out[name] = (dumps(seal(a) if reseal else a), message)

    edit("edited_points", "content_hash: the file says",
         lambda a: a["features"][0]["bins"][0].__setitem__("points", 999))
    edit("edited_hash", "edited after it was sealed",
         lambda a: a.__setitem__("content_hash", "sha256:" + "0" * 64))
    edit("missing_scaling", "missing field(s): scaling", lambda a: a.pop("scaling"))
    edit("missing_bin_points", r"features[1].bins[0]",
         lambda a: a["features"][1]["bins"][0].pop("points"))
    edit("schema_version_3", "schema_version: 3 is not supported",
         lambda a: a.__setitem__("schema_version", 3))
    edit("resealed_without_splits", "splits must be a strictly increasing list",
         lambda a: _numeric(a).pop("splits"), reseal=True)
    edit("resealed_unsorted_splits", "splits must be a strictly increasing list",
         lambda a: _numeric(a).__setitem__("splits", _numeric(a)["splits"][::-1]), reseal=True)
    edit("resealed_text_points", "must be integers",
         lambda a: a["features"][0]["bins"][0].__setitem__("points", "ten"), reseal=True)
    out["truncated_json"] = (dumps(artifact)[:4000], "is not valid JSON")
    return out


@pytest.fixture(scope="module")
def faulty(artifact: dict[str, Any],
           tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("faulty")
    paths = {}
    for name, (text, message) in _faults(artifact).items():
        path = folder / f"{name}.json"
        path.write_text(text)
        paths[name] = (path, message)
    return paths


FAULTS = ["edited_points", "edited_hash", "missing_scaling", "missing_bin_points",
          "schema_version_3", "resealed_without_splits", "resealed_unsorted_splits",
          "resealed_text_points", "truncated_json"]


@pytest.mark.parametrize("fault", FAULTS)
def test_predict_refuses_a_faulty_artifact(fault: str, faulty: dict[str, tuple[Path, str]],
                                           tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path, message = faulty[fault]
    out = tmp_path / "pred.csv"
    assert main(["predict", "--artifact", str(path), "--input", str(CORPUS / "base.csv"),
                 "--output", str(out)]) == EXIT_BAD_ARTIFACT
    err = capsys.readouterr().err
    assert "error: invalid model artifact:" in err and message in err, err
    assert not out.exists()


@pytest.mark.parametrize("fault", FAULTS)
def test_create_app_refuses_a_faulty_artifact(fault: str,
                                              faulty: dict[str, tuple[Path, str]]) -> None:
    path, message = faulty[fault]
    with pytest.raises(ArtifactError) as exc:
        create_app(Settings(artifact=path))
    assert "refusing to start" in str(exc.value) and message in str(exc.value)




def test_servers_refuse_to_start(faulty: dict[str, tuple[Path, str]],
                                 artifact: dict[str, Any], tmp_path: Path) -> None:
    """The real entry points, started together: each exits non-zero with the reason and
    never accepts a connection."""
    no_contract = tmp_path / "no_contract.json"  # passes verify, unservable by the API
    no_contract.write_text(dumps(seal({**copy.deepcopy(artifact), "input_contract": []})))
    runs: list[tuple[str, list[str], dict[str, str], str, int | None]] = []
    for fault in ("edited_points", "schema_version_3", "resealed_without_splits"):
        path, message = faulty[fault]
        runs.append((fault, [str(BIN / "scorecard"), "serve", "--artifact", str(path)], {},
                     message, EXIT_BAD_ARTIFACT))
    path, message = faulty["edited_hash"]
    runs.append(("uvicorn factory", [str(BIN / "uvicorn"), "--factory", "api.app:create_app"],
                 {"SCORECARD_ARTIFACT": str(path)}, message, None))
    # `serve` pre-checks only the artifact (it imports no api code); the worker's app
    # factory then refuses, and uvicorn exits 1.
    runs.append(("serve, unservable card", [str(BIN / "scorecard"), "serve", "--artifact",
                                            str(no_contract)], {}, "input_contract", None))
    procs = []
    for name, cmd, env, message, code in runs:
        port = free_port()
        procs.append((name, port, message, code, subprocess.Popen(
            [*cmd, "--port", str(port)], cwd=REPO, env={**os.environ, **env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    for name, port, message, code, proc in procs:
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode != 0, f"{name}: started"
        if code is not None:
            assert proc.returncode == code, (name, err)
        assert "refusing to s" in err and message in err, (name, err)
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            pass


# --------------------------------------------------------------------------- requests


@pytest.fixture(scope="module")
def base_rows() -> list[dict[str, Any]]:
    return generated_rows()


@pytest.fixture(scope="module")
def splits(artifact: dict[str, Any]) -> dict[str, list[float]]:
    return card_splits(artifact)



Contract = tuple[dict[str, Column], str | None, bool]


@pytest.fixture(scope="module")
def contract(artifact: dict[str, Any]) -> Contract:
    """The served card's input contract, id column and whether features may be missing (the
    settings the client fixture serves with)."""
    allow_missing = Settings().allow_missing
    service = ScoringService(artifact, allow_missing=allow_missing)
    return {c.name: c for c in service.columns}, service.id_column, allow_missing


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
_nasty = st.one_of(
    st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "", " ", "NA",
                     "null", "0x1F", "12,5", "twelve", "\u0000", "Caf\u00e9", "\U0001f4a9",
                     "x" * 20_000]),
    st.sampled_from([10**400, -(10**400), 2**63, 2**64, -(2**63) - 1, 1e308, -1e308, 5e-324,
                     -0.0, 0, 1, 0.5, 101, -1, True, False, None]),
    st.text(max_size=30),
    st.lists(_json_values, max_size=3),
    st.dictionaries(st.text(max_size=5), _json_values, max_size=3),
)
# Bodies that broke or could break the decoder: NaN/Infinity tokens, a BOM, lone surrogate
# escapes, deep nesting, invalid UTF-8 inside a string (msgspec raises UnicodeDecodeError,
# not DecodeError: it was a 500 before the API caught it), UTF-16, trailing garbage.
TRICKY_BODIES = [b"", b"NaN", b"[NaN]", b'{"age": Infinity}', b"\xef\xbb\xbf{}",
                 b'{"merchant_category": "\\ud800"}', b'{"\\udfff": 1}', b"[" * 5000,
                 b'{"a":' * 3000, b'"\xff"', b'{"a": "Caf\xe9"}', b'[{"\xe9": 1}]',
                 b"{}" * 100, '{"age": 1}'.encode("utf-16"), b"[" * 60_000 + b"]" * 60_000,
                 b'{"age": 1e400}', b"[1, 2,]", b"\x00"]


def _post(client: TestClient, path: str, body: bytes) -> Any:
    return client.post(path, content=body, headers={"content-type": "application/json"})


def _no_5xx(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code in (200, 400, 413, 422), response.status_code
    if response.status_code != 200:
        body = response.json()
        assert body["status_code"] == response.status_code and body["detail"]


@HYP
@given(value=_json_values)
def test_any_json_value_gets_no_5xx(client: TestClient, value: Any) -> None:
    body = json.dumps(value).encode()
    for path in ("/v1/score", "/v1/score/batch"):
        _no_5xx(_post(client, path, body))


@pytest.mark.parametrize("body", TRICKY_BODIES, ids=range(len(TRICKY_BODIES)))
def test_tricky_bodies_are_client_errors(client: TestClient, body: bytes) -> None:
    for path in ("/v1/score", "/v1/score/batch"):
        r = _post(client, path, body)
        _no_5xx(r)
        assert r.status_code in (400, 413, 422), r.text[:300]


@HYP
@given(body=st.binary(max_size=300))
def test_any_bytes_get_no_5xx(client: TestClient, body: bytes) -> None:
    for path in ("/v1/score", "/v1/score/batch"):
        _no_5xx(_post(client, path, body))


def _field_ok(name: str, value: Any, contract: Contract) -> bool:
    """The contract's verdict on one field of a request (``None`` = null or absent)."""
    columns, id_column, allow_missing = contract
    col = columns.get(name)
    if col is None:
        return False  # unknown fields are rejected
    if value is None:  # the id is optional; with allow_missing, so is every feature
        return (col.nullable or name == id_column
                or (allow_missing and col.kind not in ("id", "target")))
    try:
        return col.check_value(value) is None
    except OverflowError:  # an int beyond any float: infinite, so not finite
        return False


@st.composite
def _mutated(draw: st.DrawFn, base: list[dict[str, Any]], names: list[str],
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid generated applicant with 1-4 fields replaced (or removed: value None)."""
    row = dict(base[draw(st.integers(0, len(base) - 1))])
    keys = draw(st.lists(st.sampled_from(names) | st.text(min_size=1, max_size=10),
                         min_size=1, max_size=4, unique=True))
    changes = {}
    for k in keys:
        v = draw(_nasty)
        changes[k] = v
        if v is None and k in names and draw(st.booleans()):
            row.pop(k, None)  # absent counts as null
        else:
            row[k] = v
    return row, changes


@HYP
@given(data=st.data())
def test_mutated_applicant_is_accepted_exactly_when_valid(
        client: TestClient, contract: Contract,
        base_rows: list[dict[str, Any]], data: st.DataObject) -> None:
    names = sorted(contract[0])
    row, changes = data.draw(_mutated(base_rows, names))
    r = _post(client, "/v1/score", json.dumps(row).encode())
    _no_5xx(r)
    bad = {k for k, v in changes.items() if not _field_ok(k, v, contract)}
    if len(r.request.content) > 64 * 1024:
        assert r.status_code == 413
        return
    assert r.status_code == (422 if bad else 200), (changes, r.text[:500])
    if bad:
        assert {e["field"] for e in r.json()["errors"]} == bad


@HYP
@given(data=st.data())
def test_mutated_batch_names_item_and_field(
        client: TestClient, contract: Contract,
        base_rows: list[dict[str, Any]], data: st.DataObject) -> None:
    names = sorted(contract[0])
    items = data.draw(st.lists(_mutated(base_rows, names), min_size=1, max_size=4))
    r = _post(client, "/v1/score/batch", json.dumps([row for row, _ in items]).encode())
    _no_5xx(r)
    if any(len(json.dumps(row).encode()) > SINGLE_BODY_BYTES for row, _ in items):
        assert r.status_code == 413, r.text[:500]  # refused before decoding: no field named
        return
    bad = {(i, k) for i, (_, changes) in enumerate(items) for k, v in changes.items()
           if not _field_ok(k, v, contract)}
    assert r.status_code == (422 if bad else 200), r.text[:500]
    if bad:
        assert {(e["index"], e["field"]) for e in r.json()["errors"]} == bad
    else:
        assert r.json()["count"] == len(items)


@HYP
@given(data=st.data())
def test_batch_and_single_are_identical(client: TestClient, base_rows: list[dict[str, Any]],
                                        splits: dict[str, list[float]],
                                        data: st.DataObject) -> None:
    rows = data.draw(st.lists(applicants(base_rows, splits), min_size=1, max_size=6))
    batch = _post(client, "/v1/score/batch", json.dumps(rows).encode())
    assert batch.status_code == 200, batch.text[:500]
    results = batch.json()["results"]
    assert len(results) == len(rows)
    for row, result in zip(rows, results, strict=True):
        single = _post(client, "/v1/score", json.dumps(row).encode())
        assert single.status_code == 200, single.text[:500]
        answer = single.json()
        assert answer.pop("decision_id") != result.pop("decision_id")  # one per answer
        assert answer == result
        assert 0.0 < result["pd"] < 1.0
