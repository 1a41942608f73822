"""``scorecard serve``: run the HTTP API (uvicorn with the factory ``api.app:create_app``).

The artifact reaches the app through ``SCORECARD_ARTIFACT`` (every uvicorn worker builds its
own app from the environment) and uvicorn imports the app by name, so this module imports
neither ``api`` nor uvicorn until the command runs. The card is verified here first so a
tampered artifact stops the command with exit code 4 and a clear message before any worker
starts. The artifact path goes through :func:`scorecard.data.safety.artifact_file` (a regular
file of at most 64 MiB, ``SCORECARD_MAX_ARTIFACT_BYTES``). Nothing of the training stack
(pandas, scikit-learn, optbinning, statsmodels, pandera) is imported. With
``SCORECARD_REGISTRY`` (and no ``--artifact``) the workers serve the registry's champion and
follow its promotions (:mod:`api.live`); its champion is checked here the same way.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from scorecard import settings
from scorecard.cli import EXIT_OK, UsageError, non_empty, port_number, positive_int
from scorecard.data.paths import DEFAULT_ARTIFACT

FACTORY = "api.app:create_app"
# uvicorn's httptools protocol with the head deadline and the early refusal; without
# httptools (an install that skipped uvicorn's [standard] extra), the h11 one with the head
# deadline, leaving the refusal to the app's middleware (api/protocols.py).
HTTPTOOLS_PROTOCOL = "api.protocols:TimedHttpToolsProtocol"
H11_PROTOCOL = "api.protocols:TimedH11Protocol"


def http_protocol() -> str:
    """The HTTP protocol class to serve with: httptools' when installed, else h11's (with a
    log line saying so: a missing fast path slows the server, it never stops it)."""
    if importlib.util.find_spec("httptools") is not None:
        return HTTPTOOLS_PROTOCOL
    print("httptools is not installed: serving with the pure-Python h11 protocol "
          "(slower; overload refusals after the body; pip install 'uvicorn[standard]')",
          file=sys.stderr)
    return H11_PROTOCOL


def _champion(url: str) -> dict[str, Any]:
    """The registry's champion, checked as the workers will load it: a registry that cannot
    be read, has no champion or holds a tampered one stops the command (exit 2 or 4)."""
    from scorecard.registry.lifecycle import Registry

    registry = Registry(url)
    champion = registry.live().champion
    if champion is None:
        raise UsageError(f"{settings.REGISTRY.name}={url}: the registry has no champion "
                         "(scorecard registry promote ID --as champion)")
    return registry.load_card(champion)


def _serve(args: argparse.Namespace) -> int:
    from scorecard.card.artifact import ArtifactError, load_artifact
    from scorecard.data.safety import artifact_file

    from_env = settings.ARTIFACT.read()
    role = "--artifact" if args.artifact else settings.ARTIFACT.name if from_env \
        else "the default artifact"
    path = Path(args.artifact or from_env or DEFAULT_ARTIFACT)
    registry = (settings.REGISTRY.read() or "").strip()
    try:
        if registry and not args.artifact:  # the workers serve the registry's champion
            artifact = _champion(registry)
        else:
            artifact = load_artifact(artifact_file(path, role))  # errors: exit 4 (cli.main)
    except ArtifactError as exc:
        raise ArtifactError(f"refusing to serve: {exc}") from exc
    if args.artifact and registry:  # the file asked for, not the registry
        os.environ[settings.REGISTRY.name] = ""
    log_url = (settings.DECISION_LOG.read() or "").strip()
    if log_url:  # opened (and migrated) once here: a bad URL is one line, exit 2
        from scorecard.data.decision_log import open_store

        open_store(log_url).close()
    os.environ[settings.ARTIFACT.name] = str(path.resolve())  # what the workers read
    metrics_dir = None
    if args.workers > 1 and not settings.PROMETHEUS_MULTIPROC_DIR.read():
        # Workers are separate processes: aggregate their metrics (see api.prometheus).
        metrics_dir = tempfile.mkdtemp(prefix="scorecard-metrics-")
        os.environ[settings.PROMETHEUS_MULTIPROC_DIR.name] = metrics_dir
    print(f"serving {artifact['model_id']} on http://{args.host}:{args.port} "
          f"({args.workers} worker(s))", file=sys.stderr)

    import uvicorn

    try:
        # uvicorn's own access log is off: the app writes structured JSON access logs.
        uvicorn.run(FACTORY, factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, access_log=False,
                    server_header=False, proxy_headers=args.proxy_headers,
                    timeout_keep_alive=args.keep_alive,
                    http=http_protocol())
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the card over HTTP (Litestar on uvicorn)",
        description="Run the scoring API: POST /v1/score, POST /v1/score/batch, "
        "GET /v1/scorecard, /health, /ready, /metrics, docs at /schema/swagger. Settings "
        "come from SCORECARD_* environment variables (`scorecard settings` lists them).")
    p.add_argument("--artifact", type=non_empty,
                   help="card to serve (default: $SCORECARD_ARTIFACT, else "
                   "reports/scorecard.json)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface (default 127.0.0.1; 0.0.0.0 in containers)")
    p.add_argument("--port", type=port_number, default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=positive_int, default=1, help="worker processes (default 1)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"],
                   help="uvicorn's own log level (default info)")
    p.add_argument("--proxy-headers", action="store_true",
                   help="trust X-Forwarded-* from the load balancer")
    p.add_argument("--keep-alive", type=positive_int, default=65,
                   help="idle keep-alive seconds (default 65, above an ALB's 60)")
    p.set_defaults(func=_serve)
