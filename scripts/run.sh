#!/usr/bin/env bash
# The main job: install, generate the default data, regenerate card, report and predictions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh main
exec .venv/bin/scorecard run "$@"
