# syntax=docker/dockerfile:1
#
# Serving image for the credit-scorecard API (Litestar on uvicorn).
#
# Two stages so that pip, its caches and the build-time metadata never reach the runtime
# image: the builder creates a self-contained venv from the pinned lock, the runtime stage
# copies that venv plus only the code and the model artifact the API needs. The training
# stack (optbinning, statsmodels, pandas, scikit-learn, ...) is deliberately absent: see
# requirements/runtime.in.
#
# Build:  docker build -t scorecard-api:$(git rev-parse --short HEAD) .
# Run:    docker run --rm -p 8000:8000 --read-only --tmpfs /tmp scorecard-api:<tag>
#
# The base is a build argument so that the same Dockerfile builds everywhere: by default the
# patch-pinned official slim image; in CI (no registry) a Debian rootfs made by
# scripts/image.sh with mmdebstrap and `podman import`. Both stages must run the same
# interpreter at the same path, since the venv's python is a symlink to it. BUILDER_BASE
# may add build-only tools to that base (binutils' strip, as scripts/image.sh does).
# Pin the digest too for fully reproducible builds:
#   --build-arg BASE=python:3.11.14-slim-trixie@sha256:<digest>
ARG BASE=python:3.11.14-slim-trixie
ARG BUILDER_BASE=${BASE}

############################ builder ############################
# checkov:skip=CKV_DOCKER_7:The base is a build argument whose default is a patch-pinned tag (ARG BASE above).
FROM ${BUILDER_BASE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build
COPY requirements/runtime.lock ./runtime.lock

# Hash-checked, wheels only (--only-binary: no compiler here, and an sdist could only come
# from a mistaken lock), and --no-deps: the lock is the complete set, and it deliberately
# leaves out declared dependencies the API never imports (requirements/runtime.overrides:
# Django, Faker, Litestar's CLI). Then what serving never needs goes: the packages' test
# suites, the docs assets' source maps (for debugging the bundles, never served), the
# debug symbols of the extension modules (when the builder has strip; not
# numpy's, whose libraries auditwheel rewrote with patchelf: strip breaks such files), and
# pip/setuptools themselves, so no build tooling reaches the runtime image.
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --no-cache-dir --only-binary=:all: --no-deps \
       --require-hashes -r runtime.lock \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools \
    && find /opt/venv -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
    && find /opt/venv -type f -name '*.map' -path '*/drf_spectacular_sidecar/*' -delete \
    && if command -v strip >/dev/null; then \
         find /opt/venv -type f -name '*.so*' ! -path '*/numpy*' \
           -exec strip --strip-unneeded {} +; \
       fi

############################ jobs ############################
# The jobs image (`--target jobs`): the full `scorecard` CLI with the training and
# monitoring stack (requirements/main.lock), which the scheduled ECS tasks of
# infra/jobs.tf run (`scorecard monitor`, `scorecard score`). Built before the serving
# stage so that an untargeted build stays the serving image; the same base and user.
#
# Build:  docker build --target jobs -t scorecard-jobs:<tag> .
# Run:    docker run --rm --read-only -v "$PWD/in:/work/input:ro" -v "$PWD/out:/work/output" \
#           scorecard-jobs:<tag> score --input '/work/input/*' --output /work/output/s.csv
FROM ${BUILDER_BASE} AS jobs-builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /build
COPY requirements/main.lock ./main.lock

# The locked stack only (hash-checked wheels, as in the serving builder), then pip goes.
# The project is not installed into it: its code is a layer of its own in the jobs stage,
# so a change of the code leaves this large layer as it was.
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/python -m pip install --no-cache-dir --only-binary=:all: --no-deps \
       --require-hashes -r main.lock \
    && /opt/venv/bin/python -m pip uninstall --yes --quiet pip
# What no job runs: the packages' test suites and the docs assets' source maps (as in the
# serving builder; a layer of its own so that a change here reuses the install above).
RUN find /opt/venv -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} + \
    && find /opt/venv -type f -name '*.map' -path '*/drf_spectacular_sidecar/*' -delete

FROM ${BASE} AS jobs

LABEL org.opencontainers.image.title="scorecard-jobs" \
      org.opencontainers.image.description="Credit scorecard CLI for scheduled jobs (monitor, batch score)"

# HOME on /work, the task's one writable volume (the root is read-only): matplotlib keeps
# its cache there.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    HOME=/work \
    SCORECARD_ARTIFACT=/app/reports/scorecard.json

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=jobs-builder /opt/venv /opt/venv
COPY scorecard/ /app/scorecard/
COPY api/ /app/api/
COPY validation/ /app/validation/
COPY reports/scorecard.json /app/reports/scorecard.json
# Compiled once here, as the root filesystem is read-only where the jobs run.
RUN python -m compileall -q /app

WORKDIR /work
USER 10001:10001

ENTRYPOINT ["python", "-m", "scorecard"]
CMD ["--help"]

############################ runtime ############################
FROM ${BASE} AS runtime

LABEL org.opencontainers.image.title="scorecard-api" \
      org.opencontainers.image.description="Monotonic credit scorecard scoring API (Litestar/uvicorn)"

# PYTHONDONTWRITEBYTECODE: the root filesystem is read-only in ECS, so never try to write
# .pyc files next to the code. PYTHONUNBUFFERED: logs reach CloudWatch line by line.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    TMPDIR=/tmp \
    SCORECARD_ARTIFACT=/app/reports/scorecard.json \
    SCORECARD_PROBE_PORT=8001 \
    WEB_CONCURRENCY=2

# A fixed, unprivileged uid/gid (matches `user = "10001:10001"` in the ECS task definition)
# with no home directory and no login shell.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin app

WORKDIR /app

# Code and artifact stay owned by root and are only readable by the app user: the process
# cannot modify what it serves. Only what the API imports is copied: api/, the card layer,
# four stdlib-only modules of the data layer, the error family and the settings table; no training, jobs, CLI or model validation
# code (tests/test_layout.py proves the API's import closure stays inside these files;
# .dockerignore additionally keeps everything else out of the build context).
COPY --from=builder /opt/venv /opt/venv
COPY api/ /app/api/
COPY scorecard/__init__.py scorecard/errors.py scorecard/settings.py /app/scorecard/
COPY scorecard/card/ /app/scorecard/card/
COPY scorecard/registry/ /app/scorecard/registry/
COPY scorecard/data/__init__.py scorecard/data/contract.py scorecard/data/records.py scorecard/data/paths.py scorecard/data/decision_log.py /app/scorecard/data/
COPY reports/scorecard.json /app/reports/scorecard.json

USER 10001:10001

# 8000 the API; 8001 the probes alone (SCORECARD_PROBE_PORT, api/probes.py), answered by a
# small process beside each worker so that a flood on 8000 never delays them: the ALB's check.
EXPOSE 8000 8001

# No curl in slim images: probe liveness with the interpreter that is already there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8001/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]

# Shell form through `sh -c` so ${WEB_CONCURRENCY} expands at start-up; `exec` replaces the
# shell, so uvicorn itself receives SIGTERM from `docker stop`/ECS and drains gracefully.
# With several workers, /metrics aggregates them through prometheus_client's multiprocess
# mode, which needs a fresh writable directory: one is made on /tmp (the tmpfs) unless
# PROMETHEUS_MULTIPROC_DIR is already set (see api/prometheus.py).
# --proxy-headers: the client address comes from the ALB's X-Forwarded-For (tasks accept
# traffic from the ALB security group only). --timeout-keep-alive 65 > the ALB's 60 s idle
# timeout, so the ALB never reuses a connection uvicorn has just closed (sporadic 502s).
# --http api.protocols:TimedHttpToolsProtocol: uvicorn's httptools protocol plus a deadline on heads
# (SCORECARD_HEADER_TIMEOUT_S, 10 s): a slowloris client is disconnected; the body has its
# own deadline in the app (SCORECARD_BODY_TIMEOUT_S, 30 s, then 408).
CMD ["sh", "-c", "if [ \"${WEB_CONCURRENCY:-2}\" -gt 1 ] && [ -z \"${PROMETHEUS_MULTIPROC_DIR:-}\" ]; then export PROMETHEUS_MULTIPROC_DIR=\"$(mktemp -d /tmp/prometheus.XXXXXX)\"; fi; exec uvicorn --factory api.app:create_app --host 0.0.0.0 --port 8000 --workers ${WEB_CONCURRENCY:-2} --proxy-headers --forwarded-allow-ips '*' --timeout-keep-alive 65 --http api.protocols:TimedHttpToolsProtocol --no-server-header --no-access-log"]
