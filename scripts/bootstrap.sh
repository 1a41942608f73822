#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the locked dependencies (hash-checked), then the
# project itself. Usage: bash scripts/bootstrap.sh [main|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-main}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
lock="requirements/${profile}.lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
  --no-build-isolation -e .
if [ "$profile" = dev ] && [ ! -x .venv-tools/bin/checkov ]; then
  # checkov pins packages the project has outgrown: it lives in its own environment.
  "$python" -m venv .venv-tools
  .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
  .venv-tools/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    -r requirements/tools.lock
fi
