"""Static checks of the image definitions (no Docker engine needed): the serving image, and
the jobs target the scheduled tasks run.

The Dockerfile is parsed into stages and instructions and checked for: a multi-stage build
on a pinned slim Python base, a non-root runtime user, a HEALTHCHECK on /health, uvicorn's
factory start-up with ``${WEB_CONCURRENCY}``, read-only-root friendliness, and that only
the serving code and the artifact are copied. The runtime requirement files must not pull
in the training stack, and the build context must exclude local state.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
RUNTIME_IN = REPO / "requirements" / "runtime.in"
RUNTIME_LOCK = REPO / "requirements" / "runtime.lock"

# The training / analysis stack: needed to build a card, never to serve one.
TRAINING_ONLY = {
    "optbinning",
    "statsmodels",
    "scikit-learn",
    "sklearn",
    "pandas",
    "scipy",
    "pandera",
    "matplotlib",
    "openpyxl",
    "duckdb",
    "pyarrow",
}
RUNTIME_DIRECT = {"numpy", "litestar", "uvicorn", "httptools", "uvloop", "msgspec",
                  "prometheus-client",
                  "drf-spectacular-sidecar",  # the docs assets (api.docs), files only
                  "psycopg"}  # the decision log on PostgreSQL
# What the API imports (tests/test_layout.py proves its closure) and the artifact: no
# training, jobs, CLI or model-validation code in the serving image.
ALLOWED_RUNTIME_COPIES = {
    "api/",
    "scorecard/__init__.py",
    "scorecard/errors.py",
    "scorecard/settings.py",
    "scorecard/card/",
    "scorecard/registry/",
    "scorecard/data/__init__.py",
    "scorecard/data/contract.py",
    "scorecard/data/records.py",
    "scorecard/data/paths.py",
    "scorecard/data/decision_log.py",
    "reports/scorecard.json",
}


@dataclass
class Stage:
    image: str
    alias: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


@cache
def _stages() -> list[Stage]:
    """Stages of the Dockerfile with their (KEYWORD, arguments) instructions."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "dangling line continuation"

    stages: list[Stage] = []
    defaults: dict[str, str] = {}  # global ARGs (before the first FROM), as built by default
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "ARG" and not stages:
            name, _, value = args.partition("=")
            defaults[name] = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], value)
        elif keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.I)
            assert match, f"cannot parse FROM {args!r}"
            image = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], match.group(1))
            stages.append(Stage(image=image, alias=match.group(2)))
        elif keyword != "ARG" or stages:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, args))
    return stages


def _runtime() -> Stage:
    return _stages()[-1]


def _env(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.args("ENV"):
        for token in shlex.split(args):
            name, sep, value = token.partition("=")
            assert sep, f"use ENV key=value form: {args!r}"
            env[name] = value
    return env


def _requirements(path: Path) -> list[Requirement]:
    requirements = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-"):
            continue
        requirements.append(Requirement(line.split(" --hash", 1)[0].strip()))
    return requirements


# ------------------------------------------------------------------------------------------
# Stages and base image
# ------------------------------------------------------------------------------------------
def test_multi_stage_build() -> None:
    stages = _stages()
    assert len(stages) >= 2
    assert stages[0].alias == "builder"
    assert _runtime().alias == "runtime"
    copies_from_builder = [a for a in _runtime().args("COPY") if a.startswith("--from=builder")]
    assert copies_from_builder == ["--from=builder /opt/venv /opt/venv"]


def test_pinned_slim_python_311_base() -> None:
    # As built by default (the build arguments' defaults; scripts/image.sh passes its own).
    images = {stage.image for stage in _stages()}
    # Same base in both stages: the venv's interpreter symlink must resolve at run time.
    assert len(images) == 1, images
    image = images.pop()
    match = re.fullmatch(r"python:(3\.11\.\d+)-slim(?:-[a-z]+)?(?:@sha256:[0-9a-f]{64})?", image)
    assert match, f"base must be a patch-pinned python:3.11.x-slim tag, got {image}"
    assert "latest" not in image


# ------------------------------------------------------------------------------------------
# Runtime stage
# ------------------------------------------------------------------------------------------
def test_runs_as_non_root_user() -> None:
    users = _runtime().args("USER")
    assert users, "no USER in the runtime stage"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    if user.isdigit():
        assert int(user) >= 1000
    # USER comes after the last RUN, so nothing installs as the app user afterwards, and
    # before CMD.
    keywords = [kw for kw, _ in _runtime().instructions]
    assert keywords.index("USER") > max(i for i, kw in enumerate(keywords) if kw == "RUN")
    assert keywords.index("USER") < keywords.index("CMD")


def test_ecs_task_runs_as_the_image_user() -> None:
    user = _runtime().args("USER")[-1]
    variables = (REPO / "infra" / "modules" / "ecs_service" / "variables.tf").read_text()
    match = re.search(r'variable "container_user" \{.*?default\s*=\s*"([^"]+)"', variables, re.S)
    assert match, "ecs_service module has no container_user default"
    assert match.group(1) == user


def test_healthcheck_probes_health_on_the_probe_port_with_python_urllib() -> None:
    checks = _runtime().args("HEALTHCHECK")
    assert len(checks) == 1
    check = checks[0]
    assert "CMD" in check
    assert "/health" in check
    assert "urllib.request" in check
    assert "curl" not in check and "wget" not in check, "python:slim has neither"
    assert "127.0.0.1:8001/health" in check  # the probe port: a flood on 8000 cannot delay it
    assert "SCORECARD_PROBE_PORT=8001" in " ".join(_runtime().args("ENV"))


def test_exposes_the_api_and_probe_ports() -> None:
    assert _runtime().args("EXPOSE") == ["8000 8001"]


def test_cmd_starts_uvicorn_factory_with_web_concurrency() -> None:
    cmds = _runtime().args("CMD")
    assert len(cmds) == 1
    cmd = cmds[0]
    assert cmd.startswith('["sh", "-c", '), "exec form through sh -c (expands the variable)"
    assert "; exec uvicorn " in cmd, "uvicorn must replace the shell to receive SIGTERM"
    # Several workers need prometheus_client's multiprocess directory, on the /tmp tmpfs.
    assert "PROMETHEUS_MULTIPROC_DIR" in cmd and "mktemp -d /tmp/" in cmd
    for fragment in [
        "--factory api.app:create_app",
        "--host 0.0.0.0",
        "--port 8000",
        "--workers ${WEB_CONCURRENCY",
        # uvicorn's h11 plus a deadline on request heads (slowloris); api/server.py
        "--http api.protocols:TimedHttpToolsProtocol",
    ]:
        assert fragment in cmd, fragment
    assert not _runtime().args("ENTRYPOINT")


def test_environment_defaults() -> None:
    env = _env(_runtime())
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["WEB_CONCURRENCY"] == "2"
    assert env["SCORECARD_ARTIFACT"] == "/app/reports/scorecard.json"
    assert env["PATH"].startswith("/opt/venv/bin:")


def test_read_only_root_friendly() -> None:
    runtime = _runtime()
    assert not runtime.args("VOLUME"), "volumes are the orchestrator's (tmpfs /tmp in ECS)"
    # Nothing in the runtime stage may need a writable path other than /tmp at run time:
    # no pip, no chown of the code to the app user, no training run.
    for args in runtime.args("RUN"):
        assert "pip" not in args
        assert "scorecard " not in args, "the image must not train"
    for args in runtime.args("COPY"):
        assert "--chown" not in args, "code stays root-owned and read-only for the app"


def test_runtime_copies_only_serving_code_and_artifact() -> None:
    sources: set[str] = set()
    for args in _runtime().args("COPY"):
        if args.startswith("--from="):
            continue
        *srcs, _dest = args.split()
        sources.update(srcs)
    assert sources == ALLOWED_RUNTIME_COPIES, sources
    assert not _runtime().args("ADD")


def test_builder_installs_the_lock_with_hashes() -> None:
    builder = _stages()[0]
    assert "requirements/runtime.lock" in " ".join(builder.args("COPY"))
    run = " ".join(builder.args("RUN"))
    assert "-r runtime.lock" in run
    assert "--require-hashes" in run
    assert "--only-binary=:all:" in run


# ------------------------------------------------------------------------------------------
# Requirements
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [RUNTIME_IN, RUNTIME_LOCK], ids=lambda p: p.name)
def test_no_training_dependencies(path: Path) -> None:
    names = {canonicalize_name(r.name) for r in _requirements(path)}
    assert not names & TRAINING_ONLY, names & TRAINING_ONLY
    text = path.read_text().lower()
    for package in ["optbinning", "statsmodels", "scikit-learn", "pandas"]:
        assert not re.search(rf"^\s*{package}\b", text, re.M), package


def test_runtime_in_lists_direct_dependencies_with_lower_bounds() -> None:
    requirements = _requirements(RUNTIME_IN)
    assert {canonicalize_name(r.name) for r in requirements} == RUNTIME_DIRECT
    for requirement in requirements:
        specs = list(requirement.specifier)
        assert specs and all(s.operator == ">=" for s in specs), str(requirement)


def test_runtime_lock_pins_everything_consistently() -> None:
    lock = {canonicalize_name(r.name): r for r in _requirements(RUNTIME_LOCK)}
    for name, requirement in lock.items():
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{name} is not pinned: {requirement}"
    for requirement in _requirements(RUNTIME_IN):
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} missing from runtime.lock"
        pinned = Version(next(iter(lock[name].specifier)).version)
        assert requirement.specifier.contains(pinned), f"{name}=={pinned} violates {requirement}"
    text = RUNTIME_LOCK.read_text()
    if "--hash=" in text:  # once hashed, every requirement must be
        assert len(re.findall(r"^[A-Za-z0-9]", text, re.M)) <= text.count("--hash=")


# ------------------------------------------------------------------------------------------
# Build context
# ------------------------------------------------------------------------------------------
def test_dockerignore_excludes_local_state_and_allows_copied_paths() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "allow-list: exclude everything first"
    for excluded in [".venv/", ".git/", "data/", "tests/", "**/.pytest_cache/", "**/__pycache__/"]:
        assert excluded in lines, excluded
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert ALLOWED_RUNTIME_COPIES | {"requirements/runtime.lock"} <= allowed


# ------------------------------------------------------------------------------------------
# Jobs stage (the scheduled tasks' image, `--target jobs`)
# ------------------------------------------------------------------------------------------
def _stage(alias: str) -> Stage:
    matches = [stage for stage in _stages() if stage.alias == alias]
    assert len(matches) == 1, f"no stage {alias!r}"
    return matches[0]


def test_the_jobs_target_installs_the_main_lock_with_hashes_and_runs_as_the_tasks_user() -> None:
    builder, jobs = _stage("jobs-builder"), _stage("jobs")
    assert "requirements/main.lock" in " ".join(builder.args("COPY"))
    run = " ".join(builder.args("RUN"))
    assert "-r main.lock" in run and "--require-hashes" in run and "--only-binary=:all:" in run
    assert [a for a in jobs.args("COPY") if a.startswith("--from=")] == [
        "--from=jobs-builder /opt/venv /opt/venv"]
    user = jobs.args("USER")[-1]
    tasks = (REPO / "infra" / "jobs.tf").read_text()
    assert f'user                   = "{user}"' in tasks
    keywords = [kw for kw, _ in jobs.instructions]
    assert keywords.index("USER") > max(i for i, kw in enumerate(keywords) if kw == "RUN")
    assert jobs.args("ENTRYPOINT") == ['["python", "-m", "scorecard"]']
