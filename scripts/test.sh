#!/usr/bin/env bash
# Install (with the test tools), lint, and run the test suite.
#   bash scripts/test.sh           everything (what CI runs)
#   bash scripts/test.sh --fast    the inner loop: tests not marked `slow` (a few minutes)
# Any other argument goes to pytest (e.g. `bash scripts/test.sh --fast tests/card`).
set -euo pipefail
cd "$(dirname "$0")/.."
marks=()
args=()
for arg in "$@"; do
  if [ "$arg" = --fast ]; then marks=(-m "not slow"); else args+=("$arg"); fi
done
bash scripts/bootstrap.sh dev
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -n 2 --dist loadfile "${marks[@]}" "${args[@]}"
