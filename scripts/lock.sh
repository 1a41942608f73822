#!/usr/bin/env bash
# Recompile the hashed lock files from requirements/*.in (needs `uv`: pip install uv).
# Versions are held at what the current .venv runs (constraints), so a re-lock is a
# deliberate upgrade: delete the constraint step to move to the newest releases.
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-uv}"
constraints="$(mktemp)"
.venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > "$constraints"
for name in main dev runtime; do
  # The runtime lock leaves out what requirements/runtime.overrides removes.
  overrides=()
  [ -f "requirements/$name.overrides" ] && overrides=(--override "requirements/$name.overrides")
  "$uv" pip compile --quiet --generate-hashes --python-version 3.11 \
    --python-platform x86_64-manylinux_2_28 --constraint "$constraints" \
    --custom-compile-command "bash scripts/lock.sh" "${overrides[@]}" \
    "requirements/$name.in" -o "requirements/$name.lock"
done
"$uv" pip compile --quiet --generate-hashes --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 --custom-compile-command "bash scripts/lock.sh" \
  requirements/tools.in -o requirements/tools.lock
rm -f "$constraints"
