#!/usr/bin/env bash
# Terraform exercised, not only parsed: `terraform plan` of infra/ against moto's AWS
# emulator on 127.0.0.1 (dummy credentials; nothing leaves the machine), then
# terraform-compliance's rules (infra/compliance/*.feature) on the plan: IMDSv2, private
# tasks, encrypted storage, no public ingress but the ALB's.
# With --apply, then `terraform apply` of that plan's resources in the emulator and
# `terraform destroy` of them all (tests/deploy/test_infra_apply.py, which CI runs).
# validate, fmt -check and `terraform test` run in tests/deploy/test_infra.py.
#
# Usage: bash scripts/infra_plan.sh [--apply]
# Needs terraform and the hashicorp/aws provider in a local mirror (TF_PROVIDER_MIRROR,
# default /opt/tf-plugins); prints one SKIPPED line when either is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
apply=0
case "${1:-}" in
  --apply) apply=1 ;;
  "") ;;
  *) echo "usage: bash scripts/infra_plan.sh [--apply]" >&2; exit 2 ;;
esac
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
vars=(-var 'aws_region=eu-north-1' -var 'availability_zones=["eu-north-1a","eu-north-1b"]'
      -var 'image_tag=ci' -var 'jobs_image_tag=ci' -var 'github_repository=example/scorecard'
      -var 'registry_enabled=true' -var "kms_key_arn=$key")
tf plan -input=false -no-color -lock=false -out="$work/tfplan" "${vars[@]}" \
  >"$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
tf show -json "$work/tfplan" >"$work/plan.json"
grep -E '^Plan:' "$work/plan.log" | sed 's/^/infra plan: /'
"$tools/bin/terraform-compliance" --no-ansi --planfile "$work/plan.json" \
  --features "$PWD/infra/compliance" >"$work/compliance.log" 2>&1 \
  || { cat "$work/compliance.log"; exit 1; }
# A rule whose resource type is missing from the plan is skipped, which would pass silently.
if grep -q SKIPPING "$work/compliance.log"; then cat "$work/compliance.log"; exit 1; fi
grep -E 'scenarios? \(' "$work/compliance.log" | sed 's/^/infra compliance: /'
echo "infra plan: against moto and compliance rules in $(( $(date +%s) - t0 )) s"
[ "$apply" = 1 ] || exit 0

# Apply the plan's resources in the emulator, then destroy them all. moto keeps no tags on
# application-autoscaling targets (the provider's default tags then fail to read back), so
# the ECS service's scalable target and its two scaling policies are left out by a targeted
# apply of every other resource; the configuration itself is the one that ships, with the
# tear-down settings a throwaway stack takes (README) so that destroy may delete it all.
teardown=(-var alb_deletion_protection=false -var access_logs_force_destroy=true
          -var ecr_force_delete=true -var decision_log_deletion_protection=false)
t1=$(date +%s)
left_out='^(module\.[^.]+\.)*aws_appautoscaling_(target|policy)\.'
mapfile -t targets < <("$tools/bin/python" - "$work/plan.json" "$left_out" <<'PY'
import json, re, sys
changes = json.load(open(sys.argv[1]))["resource_changes"]
managed = [c["address"] for c in changes if c["mode"] == "managed"]
kept = [a for a in managed if not re.match(sys.argv[2], a)]
print(len(managed) - len(kept))  # how many are left out, then the targets
print("\n".join(f"-target={a}" for a in kept))
PY
)
skipped="${targets[0]}"
targets=("${targets[@]:1}")
tf apply -input=false -no-color -lock=false -auto-approve -compact-warnings "${targets[@]}" \
  "${vars[@]}" "${teardown[@]}" >"$work/apply.log" 2>&1 || { cat "$work/apply.log"; exit 1; }
made=$(tf state list | grep -vc '^data\.\|\.data\.' || true)
echo "infra apply: $made resources created in moto (${#targets[@]} targeted; $skipped autoscaling resources left out) in $(( $(date +%s) - t1 )) s"
t2=$(date +%s)
tf destroy -input=false -no-color -lock=false -auto-approve -compact-warnings "${vars[@]}" \
  "${teardown[@]}" >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; exit 1; }
left=$(tf state list | grep -vc '^data\.\|\.data\.' || true)
[ "$left" = 0 ] || { echo "infra destroy: $left resources left in the state"; tf state list; exit 1; }
echo "infra destroy: every resource destroyed in $(( $(date +%s) - t2 )) s"
