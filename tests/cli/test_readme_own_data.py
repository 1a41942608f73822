"""The README's own-data walk-through runs as written (issue 32).

The commands of the first ``bash`` block of the README's "Your own data" section are parsed
from README.md and run in an empty folder, in order; ``serve`` is started (on a free port)
and asked the ``/v1/explain`` body of the section's ``json`` block. What the section
promises is checked on the answers: a counterfactual is found through the inferred
actionable characteristics, an age of 200 is refused, every grade of the fitted master
scale holds applicants.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.paths import REPO
from tests.support.servers import free_port


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Your own data")
    return text[start:text.index("\n## ", start + 3)]


def _commands() -> list[list[str]]:
    block = re.search(r"```bash\n(.*?)```", _section(), re.S)
    assert block, "no bash block in the README's own-data section"
    lines = [ln.split("#", 1)[0].strip() for ln in block.group(1).splitlines()]
    return [shlex.split(ln) for ln in lines if ln]


def _explain_body() -> dict:
    block = re.search(r"```json\n(.*?)```", _section(), re.S)
    assert block, "no json block (the /v1/explain body) in the own-data section"
    return json.loads(block.group(1))


def _post(url: str, body: object) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_commands_parse_as_the_own_data_path() -> None:
    commands = _commands()
    assert [c[:2] for c in commands] == [["scorecard", "example-data"],
                                         ["scorecard", "init-spec"],
                                         ["scorecard", "regenerate"],
                                         ["scorecard", "predict"], ["scorecard", "serve"]]
    assert "--target" in commands[1]


@pytest.mark.slow
def test_the_readme_own_data_walk_through_runs_as_written(tmp_path: Path) -> None:
    serve = None
    for command in _commands():
        assert command[0] == "scorecard"
        if command[1] == "serve":
            serve = command
            continue
        run = subprocess.run([sys.executable, "-m", "scorecard", *command[1:]], cwd=tmp_path,
                             capture_output=True, text=True, timeout=1800)
        assert run.returncode == 0, f"{shlex.join(command)}\n{run.stderr[-3000:]}"
        assert "Traceback" not in run.stderr
    spec = json.loads((tmp_path / "credit.spec.json").read_text())
    assert spec["actionable"] and not {"age", "sex"} & set(spec["actionable"])
    card = json.loads((tmp_path / "credit_card" / "scorecard.json").read_text())
    assert all(c > 0 for c in card["reference"]["grades"]["counts"])
    assert "master scale fitted to the development pds" in (
        tmp_path / "credit_card" / "MODEL.md").read_text()
    assert len((tmp_path / "scored.csv").read_text().splitlines()) == 5_001

    assert serve is not None
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "scorecard", *serve[1:], "--port",
                             str(port)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "serve exited"
            try:
                with urllib.request.urlopen(base + "/ready", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not become ready"
                time.sleep(0.5)
        status, answer = _post(base + "/v1/explain", _explain_body())
        assert status == 200, answer
        assert answer["decision"] == "decline" and answer["status"] == "found", answer
        assert answer["score"] < answer["cutoff_score"]
        assert set(answer["actionable"]) <= set(spec["actionable"])
        first = answer["counterfactuals"][0]
        assert first["decision"] == "accept" and first["score"] >= answer["cutoff_score"]
        status, refused = _post(base + "/v1/score", {"id": "x", "age": 200})
        assert status == 422 and refused["errors"][0]["field"] == "age", refused
    finally:
        proc.terminate()
        proc.wait(30)
