"""The registry in S3: the same life cycle against moto's S3 server on loopback (real HTTP,
the store's own Signature V4), create-only appends refused by the server, and clear errors
for a bucket that does not exist or an endpoint that does not answer."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scorecard.cli import main
from scorecard.errors import EXIT_USAGE
from scorecard.registry.lifecycle import Registry, RegistryError
from scorecard.registry.store import S3Store, StoreError
from tests.support.registry import CARD, champion, edited_card, moto_s3, moto_server_binary

BINARY = moto_server_binary()
pytestmark = pytest.mark.skipif(BINARY is None, reason="moto's server is not built (run "
                                "scripts/infra_plan.sh once)")


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    assert BINARY is not None
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_s3(BINARY, log) as env:
        body = (b'<CreateBucketConfiguration><LocationConstraint>eu-north-1'
                b'</LocationConstraint></CreateBucketConfiguration>')
        urllib.request.urlopen(urllib.request.Request(
            f"{env['AWS_ENDPOINT_URL']}/cards", data=body, method="PUT")).close()
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def test_the_life_cycle_in_s3_is_the_same_as_in_a_folder(s3: dict[str, str],
                                                         tmp_path: Path) -> None:
    reg = Registry("s3://cards/team-a")
    cid = reg.add(CARD, "alice")["card"]
    with pytest.raises(RegistryError, match="four eyes"):
        reg.approve(cid, "alice", "mine")
    reg.approve(cid, "bob", "validated")
    reg.promote(cid, "champion", "bob", "go-live")
    assert reg.verify() == (3, [])
    store = S3Store("s3://cards/team-a")
    assert store.get(f"cards/{cid}/card.json") == CARD.read_bytes()
    assert json.loads(store.get("live.json") or b"{}")["champion"] == cid
    assert set(store.keys("cards/")) == {f"cards/{cid}/{n}" for n in
                                        ("card.json", "validation.html", "metrics.json")}
    # Another prefix is another registry.
    assert Registry("s3://cards/team-b").cards() == {}


def test_s3_refuses_a_second_write_of_a_history_step(s3: dict[str, str]) -> None:
    store = S3Store("s3://cards/race")
    assert store.create("history/00000001.json", b"first")
    assert not store.create("history/00000001.json", b"second")
    assert store.get("history/00000001.json") == b"first"


def test_a_tampered_object_in_s3_is_named_by_verify(s3: dict[str, str], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    reg = Registry("s3://cards/tamper")
    other = tmp_path / "scorecard.json"
    other.write_text(json.dumps(edited_card(champion())))
    cid = reg.add(other, "ann")["card"]
    S3Store("s3://cards/tamper").put(f"cards/{cid}/card.json", CARD.read_bytes())
    findings = reg.verify()[1]
    assert len(findings) == 1 and "not to its id" in findings[0]
    assert main(["registry", "verify", "--store", "s3://cards/tamper"]) == 1


def test_a_missing_bucket_or_a_dead_endpoint_is_one_line(
        s3: dict[str, str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["registry", "list", "--store", "s3://no-such-bucket/x"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "s3://no-such-bucket/x" in err and "HTTP 404 NoSuchBucket" in err
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(StoreError, match="unreachable"):
        S3Store("s3://cards/x").get("live.json")
