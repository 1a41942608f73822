#!/usr/bin/env bash
# Terraform exercised, not only parsed: `terraform plan` of infra/ against moto's AWS
# emulator on 127.0.0.1 (dummy credentials; nothing leaves the machine), then
# terraform-compliance's rules (infra/compliance/*.feature) on the plan: IMDSv2, private
# tasks, encrypted storage, no public ingress but the ALB's.
# validate, fmt -check and `terraform test` run in tests/deploy/test_infra.py.
#
# Usage: bash scripts/infra_plan.sh        (CI: called by .ci/run)
# Needs terraform and the hashicorp/aws provider in a local mirror (TF_PROVIDER_MIRROR,
# default /opt/tf-plugins); prints one SKIPPED line when either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
if ! command -v terraform >/dev/null 2>&1 || [ ! -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
  echo "infra plan: SKIPPED, no terraform or no local hashicorp/aws provider mirror"
  exit 0
fi
t0=$(date +%s)
# The emulator and the rule checker pin packages the project has outgrown: their own venv,
# kept on the machine (outside the clone) and rebuilt only when requirements/plan.lock moves.
tools="${XDG_CACHE_HOME:-$HOME/.cache}/scorecard/venv-plan-$(sha256sum requirements/plan.lock | cut -c1-12)"
if [ ! -x "$tools/bin/terraform-compliance" ] || [ ! -x "$tools/bin/moto_server" ]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements/plan.lock >"$tools.log" 2>&1 || { cat "$tools.log"; rm -rf "$tools"; exit 1; }
fi

work="$(mktemp -d)"
moto_pid=""
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$tools/bin/moto_server" -H 127.0.0.1 -p "$port" \
  >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" \
    2>/dev/null && break
  sleep 0.2
done

cp -r infra "$work/infra"
rm -rf "$work/infra/.terraform" "$work/infra/terraform.tfstate"*
cat >"$work/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path = "$mirror"
  }
}
EOF
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 \
  AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=testing \
  AWS_SECRET_ACCESS_KEY=testing AWS_REGION=eu-north-1 AWS_DEFAULT_REGION=eu-north-1 \
  AWS_EC2_METADATA_DISABLED=true
tf() { terraform -chdir="$work/infra" "$@"; }
tf init -backend=false -input=false -no-color >"$work/init.log" || { cat "$work/init.log"; exit 1; }
# A customer-managed key made in the emulator and passed in, so that every resource's key
# is known at plan time (the stack's own key would leave them "known after apply").
key="$("$tools/bin/python" -c "import boto3; print(boto3.client('kms').create_key(Description='plan')['KeyMetadata']['Arn'])")"
# Every optional part on: the scheduled jobs, the deploy role and the card registry.
tf plan -input=false -no-color -lock=false -out="$work/tfplan" \
  -var 'aws_region=eu-north-1' -var 'availability_zones=["eu-north-1a","eu-north-1b"]' \
  -var 'image_tag=ci' -var 'jobs_image_tag=ci' -var 'github_repository=example/scorecard' \
  -var 'registry_enabled=true' \
  -var "kms_key_arn=$key" >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
tf show -json "$work/tfplan" >"$work/plan.json"
grep -E '^Plan:' "$work/plan.log" | sed 's/^/infra plan: /'
"$tools/bin/terraform-compliance" --no-ansi --planfile "$work/plan.json" \
  --features "$PWD/infra/compliance" >"$work/compliance.log" 2>&1 \
  || { cat "$work/compliance.log"; exit 1; }
# A rule whose resource type is missing from the plan is skipped, which would pass silently.
if grep -q SKIPPING "$work/compliance.log"; then cat "$work/compliance.log"; exit 1; fi
grep -E 'scenarios? \(' "$work/compliance.log" | sed 's/^/infra compliance: /'
echo "infra plan: against moto and compliance rules in $(( $(date +%s) - t0 )) s"
