"""The S3 store signs its requests exactly as botocore does (Signature V4): moto's server
does not check signatures, so the signatures are compared with botocore's own for the same
requests, with the interpreter of ``scripts/infra_plan.sh``'s tool venv (which has
botocore; the project's venvs do not)."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.paths import REPO
from tests.support.registry import moto_server_binary

BINARY = moto_server_binary()
CHECK = r'''
import datetime as dt, sys, urllib.request
from unittest import mock
sys.path.insert(0, sys.argv[1])
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from scorecard.registry import store

sent = []
class Answer:
    status = 200
    def read(self): return b"<ListBucketResult/>"
    def __enter__(self): return self
    def __exit__(self, *a): return False
fixed = dt.datetime(2026, 12, 6, 3, 0, 0, tzinfo=dt.UTC)
class Clock(dt.datetime):
    @classmethod
    def now(cls, tz=None): return fixed
def urlopen(req, timeout=0):
    sent.append(req)
    return Answer()
# botocore reads the same clock (the datetime module's class, patched for both).
with mock.patch.object(urllib.request, "urlopen", urlopen), \
        mock.patch.object(store.dt, "datetime", Clock):
    s = store.S3Store("s3://my-bucket/a prefix")
    s.create("history/00000001.json", b'{"seq":1}')
    s.keys("history/")
    s.get("cards/ab/card.json")
    s.put("live.json", b"{}")
    for req, body in zip(sent, [b'{"seq":1}', None, None, b"{}"]):
        headers = {k: v for k, v in req.header_items()
                   if k.lower() not in ("authorization", "x-amz-date")}
        theirs = AWSRequest(method=req.get_method(), url=req.full_url, data=body,
                            headers=headers)
        S3SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                    "s3", "eu-north-1").add_auth(theirs)
        mine = dict(req.header_items())["Authorization"]
        same = mine == theirs.headers["Authorization"]
        print(req.get_method(), req.full_url, same or (mine, theirs.headers["Authorization"]))
'''


@pytest.mark.skipif(BINARY is None, reason="the tool venv of scripts/infra_plan.sh is not built")
def test_every_request_is_signed_as_botocore_signs_it() -> None:
    assert BINARY is not None
    python = BINARY.parent / "python"
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_REGION": "eu-north-1",
           "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
    done = subprocess.run([str(python), "-c", CHECK, str(REPO)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4 and all(line.endswith(" True") for line in lines), done.stdout
    assert "a%20prefix/history/00000001.json" in lines[0] and "list-type=2" in lines[1]
