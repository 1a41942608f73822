"""The jobs image as the scheduled tasks run it: built from the Dockerfile's ``jobs`` target by
scripts/image.sh, it holds exactly the main lock, runs as its non-root user on a read-only
root, imports every module of the package, and runs the scorecard container's scripts of
``infra/jobs.tf`` (``scorecard monitor``, ``scorecard score``) on real applicants mounted
read-only with the same exit codes, printed lines and output bytes as the same scripts run
outside the container. Skipped when this tree's jobs image is not built (no podman)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from tests.support.image import JOBS_REPOSITORY, built_image
from tests.support.paths import REPO, SHARED

pytestmark = pytest.mark.slow

LOCK = REPO / "requirements" / "main.lock"
JOBS_TF = REPO / "infra" / "jobs.tf"
USER = "10001:10001"  # the jobs' task definitions run as this user (infra/jobs.tf)
# What each job writes under /work/output.
OUTPUTS = {"monitor": ("monitoring.json", "monitoring.html"), "score": ("scores.csv",)}


def _podman(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": str(REPO / "scripts" / "containers.conf")}
    done = subprocess.run(["podman", *args], capture_output=True, text=True, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])}: {done.stderr}")
    return done


@pytest.fixture(scope="module")
def image() -> str:
    tag = built_image(JOBS_REPOSITORY)
    if tag is None:
        pytest.skip("this tree's jobs image is not built: bash scripts/image.sh")
    return tag


def _scripts() -> dict[str, str]:
    """The scorecard container's ``sh -c`` script of each scheduled job (infra/jobs.tf)."""
    from tests.deploy.test_infra import _load

    jobs: dict[str, dict[str, str]] = {}
    for entry in _load(JOBS_TF).get("locals", []):
        jobs.update(entry.get("jobs", {}))
    assert set(jobs) == set(OUTPUTS), jobs
    return {name: job["script"] for name, job in jobs.items()}


def _periods(folder: Path) -> Path:
    """Two periods of applicants, one file each (the stem names the period): the real 10k
    Klarna rows halved when ../shared is here, else generated ones."""
    folder.mkdir()
    path = SHARED / "klarna" / "dataset_unlabelled_10k.csv"
    if path.exists():
        header, *rows = path.read_text().splitlines(keepends=True)
        half = len(rows) // 2
        (folder / "2026-01.csv").write_text(header + "".join(rows[:half]))
        (folder / "2026-02.csv").write_text(header + "".join(rows[half:]))
    else:
        generated = folder.parent / "generated.csv"
        subprocess.run([str(REPO / ".venv" / "bin" / "scorecard"), "generate-data", "--rows",
                        "2000", "--unlabelled", "0", "--periods", "2", "--seed", "7",
                        "--quiet", "--output", str(generated)], check=True, cwd=REPO)
        for number in (1, 2):
            generated.with_suffix(f".p0{number}.csv").rename(folder / f"2026-0{number}.csv")
    folder.chmod(0o755)
    return folder


def _in_container(image: str, script: str, inputs: Path, work: Path
                  ) -> subprocess.CompletedProcess[str]:
    """``script`` as the task runs it: read-only root, the image's user, no network and no
    capabilities, /work the one writable volume, the inputs read-only under it."""
    work.mkdir()
    os.chown(work, 10001, 10001)
    done = _podman("run", "--rm", "--read-only", "--network=none", "--cap-drop=all",
                   "--security-opt=no-new-privileges", f"--user={USER}",
                   "--volume", f"{work}:/work", "--volume", f"{inputs}:/work/input:ro",
                   "--entrypoint", "sh", image, "-c", script, check=False)
    return done


def _outside(script: str, inputs: Path, work: Path) -> subprocess.CompletedProcess[str]:
    """The same script run by this checkout's environment, the container's paths mapped."""
    work.mkdir()
    local = (script.replace("/work/input", str(inputs)).replace("/work", str(work))
             .replace("/app/reports/scorecard.json", str(REPO / "reports" / "scorecard.json"))
             .replace("exec python ", f"exec {REPO / '.venv' / 'bin' / 'python'} "))
    return subprocess.run(["sh", "-c", local], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HOME": str(work)})


def test_the_jobs_image_holds_exactly_the_main_lock(image: str) -> None:
    listed = _podman("run", "--rm", "--network=none", "--entrypoint", "python", image, "-c",
                     "import importlib.metadata as m; print('\\n'.join(sorted("
                     "d.metadata['Name'] for d in m.distributions())))").stdout.split()
    locked = {canonicalize_name(line.split("==")[0]) for line in LOCK.read_text().splitlines()
              if line[:1].isalpha()}
    assert {canonicalize_name(name) for name in listed} == locked


def test_the_jobs_image_runs_as_its_non_root_user_and_imports_every_module(
        image: str) -> None:
    # Each module of the package (but ``python -m scorecard``'s), as the read-only root and
    # no network leave it.
    script = ("import os, importlib, pkgutil\n"
              "assert os.getuid() == 10001, os.getuid()\n"
              "for path in ('/app/scorecard/x', '/opt/venv/x', '/x'):\n"
              "    try:\n"
              "        open(path, 'w')\n"
              "    except OSError:\n"
              "        pass\n"
              "    else:\n"
              "        raise SystemExit(f'{path} is writable')\n"
              "names = []\n"
              "for top in ('scorecard', 'api', 'validation'):\n"
              "    package = importlib.import_module(top)\n"
              "    names += [m.name for m in pkgutil.walk_packages(package.__path__, top + '.')\n"
              "              if not m.name.endswith('.__main__')]\n"
              "for name in names:\n"
              "    importlib.import_module(name)\n"
              "print(len(names))\n")
    done = _podman("run", "--rm", "--read-only", "--network=none", "--entrypoint", "python",
                   image, "-c", script, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 50


@pytest.mark.parametrize("job", sorted(OUTPUTS))
def test_a_scheduled_job_gives_in_the_image_what_it_gives_outside(
        image: str, job: str, tmp_path: Path) -> None:
    script = _scripts()[job]
    inputs = _periods(tmp_path / "input")
    inside = _in_container(image, script, inputs, tmp_path / "inside")
    outside = _outside(script, inputs, tmp_path / "outside")
    # monitor: 0 or 5 (a threshold breached); score: 0. Either way both runs agree.
    assert inside.returncode in ((0, 5) if job == "monitor" else (0,)), inside.stderr
    assert (inside.returncode, inside.stdout) == (outside.returncode, outside.stdout), (
        inside.stderr, outside.stderr)
    for name in OUTPUTS[job]:
        made = (tmp_path / "inside" / "output" / name).read_bytes()
        assert made, name
        assert made == (tmp_path / "outside" / "output" / name).read_bytes(), name
