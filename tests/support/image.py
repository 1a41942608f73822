"""The serving and jobs images of this tree: their tag is a digest of the build context (the
.dockerignore allow-list, the Dockerfile and .dockerignore themselves), so a test never runs
an image built from other code. scripts/image.sh builds them under the same tags."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

# Standalone (stdlib only, no test imports): scripts/image.sh runs this file before the
# test environment exists.
REPO = Path(__file__).resolve().parents[2]
REPOSITORY = "localhost/scorecard-api"
JOBS_REPOSITORY = "localhost/scorecard-jobs"  # the Dockerfile's `jobs` target


def context_files(root: Path = REPO) -> list[Path]:
    """Every file the image build may read, in a stable order."""
    allowed = [line[1:].strip().rstrip("/") for line in
               (root / ".dockerignore").read_text().splitlines() if line.startswith("!")]
    files = {root / "Dockerfile", root / ".dockerignore"}
    for entry in allowed:
        path = root / entry
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file()
                         and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".so"))
        elif path.is_file():
            files.add(path)
    return sorted(files)


def image_tag(root: Path = REPO, repository: str = REPOSITORY) -> str:
    """``<repository>:ctx-<digest>`` for the tree at ``root``."""
    digest = hashlib.sha256()
    for path in context_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return f"{repository}:ctx-{digest.hexdigest()[:16]}"


def built_image(repository: str = REPOSITORY) -> str | None:
    """The tag of this tree's image of ``repository`` when podman has it, else None."""
    if shutil.which("podman") is None:
        return None
    tag = image_tag(repository=repository)
    done = subprocess.run(["podman", "image", "exists", tag], capture_output=True)
    return tag if done.returncode == 0 else None


if __name__ == "__main__":  # scripts/image.sh: python3 tests/support/image.py [jobs]
    import sys

    print(image_tag(repository=JOBS_REPOSITORY if sys.argv[1:] == ["jobs"] else REPOSITORY))
