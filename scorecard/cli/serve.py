"""``scorecard serve``: run the HTTP API (uvicorn with the factory ``api.app:create_app``).

The artifact reaches the app through ``SCORECARD_ARTIFACT`` (every uvicorn worker builds its
own app from the environment) and uvicorn imports the app by name, so this module imports
neither ``api`` nor uvicorn until the command runs. The card is verified here first so a
tampered artifact stops the command with exit code 4 and a clear message before any worker
starts. The artifact path goes through :func:`scorecard.data.safety.artifact_file` (a regular
file of at most 64 MiB, ``SCORECARD_MAX_ARTIFACT_BYTES``). Nothing of the training stack
(pandas, scikit-learn, optbinning, statsmodels, pandera) is imported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from scorecard.cli import EXIT_OK, non_empty, port_number, positive_int
from scorecard.data.paths import DEFAULT_ARTIFACT

FACTORY = "api.app:create_app"


def _serve(args: argparse.Namespace) -> int:
    from scorecard.card.artifact import ArtifactError, load_artifact
    from scorecard.data.safety import artifact_file

    role = "--artifact" if args.artifact else "SCORECARD_ARTIFACT" \
        if os.environ.get("SCORECARD_ARTIFACT") else "the default artifact"
    path = Path(args.artifact or os.environ.get("SCORECARD_ARTIFACT") or DEFAULT_ARTIFACT)
    try:
        artifact = load_artifact(artifact_file(path, role))  # errors: exit 4 (cli.main)
    except ArtifactError as exc:
        raise ArtifactError(f"refusing to serve: {exc}") from exc
    os.environ["SCORECARD_ARTIFACT"] = str(path.resolve())
    metrics_dir = None
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers are separate processes: aggregate their metrics (see api.prometheus).
        metrics_dir = tempfile.mkdtemp(prefix="scorecard-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    print(f"serving {artifact['model_id']} on http://{args.host}:{args.port} "
          f"({args.workers} worker(s))", file=sys.stderr)

    import uvicorn

    try:
        # uvicorn's own access log is off: the app writes structured JSON access logs.
        uvicorn.run(FACTORY, factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, access_log=False,
                    server_header=False, proxy_headers=args.proxy_headers,
                    timeout_keep_alive=args.keep_alive,
                    # the h11 protocol with a deadline on request heads (api/server.py)
                    http="api.protocols:TimedHttpToolsProtocol")
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="serve the card over HTTP (Litestar on uvicorn)",
        description="Run the scoring API: POST /v1/score, POST /v1/score/batch, "
        "GET /v1/scorecard, /health, /ready, /metrics, docs at /schema/swagger. Settings "
        "come from SCORECARD_* environment variables (see api/settings.py).")
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
