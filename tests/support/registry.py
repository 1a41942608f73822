"""The registry's tests: a second real card, and S3 from moto's server on loopback."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scorecard.card.artifact import dumps, load_artifact, seal, verify
from tests.support.paths import REPO
from tests.support.servers import free_port

CARD = REPO / "reports" / "scorecard.json"


def champion() -> dict[str, Any]:
    return load_artifact(CARD)


def edited_card(card: dict[str, Any], delta: int = 25) -> dict[str, Any]:
    """``card`` with ``delta`` more points in the first bin of its first characteristic and
    its last characteristic dropped, sealed again: another servable card that scores some
    applicants differently."""
    body = {k: v for k, v in copy.deepcopy(card).items() if k not in ("content_hash",
                                                                       "model_id")}
    f = body["features"][0]
    f["bins"][0]["points"] += delta
    f["max_points"] = max(b["points"] for b in f["bins"])
    f["best_bin"] = max(range(len(f["bins"])), key=lambda i: f["bins"][i]["points"])
    body["features"] = body["features"][:-1]
    body.pop("reference", None)
    return verify(seal(body))


def write_card(folder: Path, card: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scorecard.json"
    path.write_text(dumps(card))
    return path


def moto_server_binary() -> Path | None:
    """The moto server of ``scripts/infra_plan.sh``'s tool venv, when it was built."""
    digest = hashlib.sha256((REPO / "requirements" / "plan.lock").read_bytes()).hexdigest()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    binary = cache / "scorecard" / f"venv-plan-{digest[:12]}" / "bin" / "moto_server"
    return binary if binary.is_file() else None


@contextlib.contextmanager
def moto_s3(binary: Path, log: Path) -> Iterator[dict[str, str]]:
    """moto's server on a free loopback port; yields the environment that points the
    registry's S3 store at it (dummy credentials)."""
    port = free_port()
    proc = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "eu-north-1"}
    finally:
        proc.terminate()
        proc.wait(10)


def registry_json(path: Path) -> Any:
    return json.loads(path.read_text())
