"""The serving image as it ships, run by podman: built from the repository's Dockerfile by
scripts/image.sh (which .ci/run calls), started read-only as its non-root user, it scores
real applicants over HTTP exactly as ``scorecard predict`` scores them, honours the API key
setting, and stops gracefully. Its installed distributions are held to the runtime lock,
and its size to the budget. Skipped when this tree's image is not built (no podman)."""

from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from tests.support.image import built_image
from tests.support.paths import REPO, SHARED
from tests.support.servers import free_port

pytestmark = pytest.mark.slow

LOCK = REPO / "requirements" / "runtime.lock"
IMAGE_BUDGET_BYTES = 200 * 10**6
VENV_BUDGET_BYTES = 110 * 10**6
# Declared dependencies of runtime packages that the image must not carry
# (requirements/runtime.overrides) and the training stack.
NEVER = {"django", "faker", "rich", "pygments", "pandas", "scipy", "scikit-learn", "optbinning",
         "statsmodels", "matplotlib", "pip", "setuptools"}


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(REPO / "scripts" / "containers.conf")}
    done = subprocess.run(["podman", *args], capture_output=True, text=True, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}: {done.stderr}")
    return done


def _call(url: str, body: Any = None, headers: dict[str, str] | None = None,
          timeout: float = 60) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _wait_ready(url: str, name: str, seconds: float = 60) -> float:
    start = time.monotonic()
    while True:
        try:
            if _call(f"{url}/ready", timeout=2)[0] == 200:
                return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > seconds:
            logs = _podman("logs", name, check=False)
            pytest.fail(f"the container never became ready:\n{logs.stdout}{logs.stderr}")
        time.sleep(0.2)


class Container:
    """One ``podman run`` of the image: read-only root, /tmp a tmpfs, no capabilities,
    published on a loopback port only."""

    def __init__(self, image: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.name = f"scorecard-test-{self.port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.probes_url = f"http://127.0.0.1:{free_port()}"  # the image's probe port, 8001
        flags = [f"--env={k}={v}" for k, v in (env or {}).items()]
        _podman("run", "--detach", "--name", self.name, "--read-only", "--tmpfs", "/tmp",
                "--cap-drop=all", "--security-opt=no-new-privileges",
                "--publish", f"127.0.0.1:{self.port}:8000",
                "--publish", f"127.0.0.1:{self.probes_url.rsplit(':', 1)[1]}:8001", *flags,
                image)
        self.ready_s = _wait_ready(self.url, self.name)

    def remove(self) -> None:
        _podman("rm", "--force", "--time", "0", self.name, check=False)


@pytest.fixture(scope="module")
def image() -> str:
    tag = built_image()
    if tag is None:
        pytest.skip("this tree's serving image is not built: bash scripts/image.sh")
    return tag


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[Container]:
    running = Container(image)
    yield running
    running.remove()


def _rows_and_file(tmp_path: Path) -> tuple[list[dict[str, Any]], Path]:
    """The real 10k Klarna applicants when ../shared is here, else generated ones; as API
    requests and as the file ``scorecard predict`` reads."""
    from tests.api.test_api import json_rows

    path = SHARED / "klarna" / "dataset_unlabelled_10k.csv"
    if not path.exists():
        path = tmp_path / "generated.csv"
        subprocess.run([str(REPO / ".venv" / "bin" / "scorecard"), "generate-data", "--rows",
                        "3000", "--unlabelled", "0", "--seed", "5", "--quiet", "--output",
                        str(path)], check=True, cwd=REPO)
    return json_rows(path), path


def test_the_image_holds_exactly_the_runtime_lock_within_budget(image: str) -> None:
    listed = _podman("run", "--rm", "--network=none", "--entrypoint", "python", image, "-c",
                     "import importlib.metadata as m; print('\\n'.join(sorted("
                     "d.metadata['Name'] for d in m.distributions())))").stdout.split()
    listed = {canonicalize_name(name) for name in listed}
    locked = {canonicalize_name(line.split("==")[0]) for line in LOCK.read_text().splitlines()
              if line[:1].isalpha()}
    assert listed == locked, listed ^ locked
    assert not listed & NEVER
    size = int(_podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    venv = int(_podman("run", "--rm", "--network=none", "--entrypoint", "du", image, "-sb",
                       "/opt/venv").stdout.split()[0])
    assert size <= IMAGE_BUDGET_BYTES, f"image {size / 1e6:.0f} MB"
    assert venv <= VENV_BUDGET_BYTES, f"venv {venv / 1e6:.0f} MB"


def test_the_container_runs_as_its_non_root_user_on_a_read_only_root(
        container: Container) -> None:
    uid = _podman("exec", container.name, "id", "-u").stdout.strip()
    assert uid == "10001"
    for path in ("/app/api/x", "/opt/venv/x", "/x"):
        write = _podman("exec", container.name, "sh", "-c", f": > {path}", check=False)
        assert write.returncode != 0, path
    assert _podman("exec", container.name, "sh", "-c", ": > /tmp/x", check=False
                   ).returncode == 0


def test_real_applicants_score_over_http_exactly_as_scorecard_predict_scores_them(
        container: Container, tmp_path: Path) -> None:
    rows, path = _rows_and_file(tmp_path)
    out = tmp_path / "predictions.csv"
    subprocess.run([str(REPO / ".venv" / "bin" / "scorecard"), "predict", "--input", str(path),
                    "--output", str(out)], check=True, cwd=REPO,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    with out.open(newline="") as fh:
        expected = list(csv.DictReader(fh))
    got: list[dict[str, Any]] = []
    for start in range(0, len(rows), 2500):
        status, body = _call(f"{container.url}/v1/score/batch", rows[start:start + 2500])
        assert status == 200, body
        got += body["results"]
    assert len(got) == len(expected) == len(rows)
    for e, g in zip(expected, got, strict=True):
        assert (g["uuid"], g["pd"], g["score"]) == (e["uuid"], float(e["pd"]), int(e["score"]))


def test_with_an_api_key_set_scoring_needs_it_and_the_probes_do_not(image: str) -> None:
    keyed = Container(image, {"SCORECARD_API_KEY": "s3cret-key-for-the-image-test"})
    try:
        status, card = _call(f"{keyed.url}/v1/scorecard")
        assert status == 401
        status, card = _call(f"{keyed.url}/v1/scorecard",
                             headers={"X-API-Key": "s3cret-key-for-the-image-test"})
        assert status == 200 and card["id_column"]
        assert _call(f"{keyed.url}/v1/scorecard", headers={"X-API-Key": "wrong"})[0] == 401
        assert _call(f"{keyed.url}/health")[0] == 200
        assert _call(f"{keyed.probes_url}/health")[0] == 200
    finally:
        keyed.remove()


def test_the_probe_port_answers_liveness_and_the_same_readiness_as_the_api_port(
        container: Container) -> None:
    """8001 (``SCORECARD_PROBE_PORT`` in the image): the ALB's health check target."""
    assert _call(f"{container.probes_url}/health") == (200, {"status": "ok"})
    ready = _call(f"{container.probes_url}/ready")
    assert ready == _call(f"{container.url}/ready") and ready[1]["status"] == "ready"
    assert _call(f"{container.probes_url}/v1/scorecard")[0] == 404


def _send_batch(port: int, rows: list[dict[str, Any]]) -> socket.socket:
    """A whole ``POST /v1/score/batch`` written to a fresh connection, its answer unread."""
    body = json.dumps(rows).encode()
    conn = socket.create_connection(("127.0.0.1", port), timeout=60)
    conn.sendall(b"POST /v1/score/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nConnection: close\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    return conn


def _status(conn: socket.socket) -> int:
    with conn, conn.makefile("rb") as answer:
        return int(answer.readline().split()[1])


def test_a_stop_answers_the_requests_in_flight_and_exits_zero(image: str,
                                                                tmp_path: Path) -> None:
    rows, _ = _rows_and_file(tmp_path)
    # No shedding: every request sent must be admitted, so that all are in flight.
    stopping = Container(image, {"SCORECARD_MAX_IN_FLIGHT": "0"})
    try:
        sent = [_send_batch(stopping.port, rows[:2500]) for _ in range(4)]
        time.sleep(0.5)  # accepted and being scored
        # The stop runs beside the reading: an answer larger than the socket buffers is
        # only complete once the client reads it, as a real client does while it waits.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            stopped = pool.submit(_podman, "stop", "--time", "30", stopping.name, check=False)
            assert [_status(conn) for conn in sent] == [200] * 4
            stop = stopped.result()
        assert stop.returncode == 0, stop.stderr
        code = _podman("inspect", "--format", "{{.State.ExitCode}}", stopping.name).stdout
        assert code.strip() == "0", _podman("logs", stopping.name).stderr
    finally:
        stopping.remove()
