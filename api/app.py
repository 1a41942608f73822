"""The Litestar application factory.

Run with ``scorecard serve`` or ``uvicorn --factory api.app:create_app``. Settings come from
the environment (:mod:`api.settings`). The artifact is loaded and verified here, before the
app exists: a tampered, unreadable or unservable card raises
:class:`~scorecard.card.artifact.ArtifactError` and the server does not start. With
``SCORECARD_REGISTRY`` the cards come from the registry instead and follow its promotions
(:mod:`api.live`).

Layers: :mod:`api.controllers` (routes) -> :mod:`api.service` (records, engine, reasons; no
web code), with :mod:`api.errors` (exception handlers), :mod:`api.openapi` (request-body
schemas), :mod:`api.auth`, :mod:`api.access_log` and :mod:`api.prometheus` around them.
"""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components

from api import auth, docs
from api import prometheus as metrics
from api.access_log import AccessMiddleware, configure_logging
from api.controllers import (
    BenchmarkController,
    CardController,
    MetricsController,
    ProbeController,
    ReviewController,
    ScoringController,
)
from api.decisions import DecisionRecorder, Oversight
from api.errors import EXCEPTION_HANDLERS
from api.live import LiveCards
from api.openapi import document_request_bodies
from api.overload import Admission, OverloadMiddleware, install
from api.probes import ProbeServer, readiness
from api.service import ScoringService
from api.settings import ENV_CUTOFF, ENV_PROBE_PORT, Settings, SettingsError
from scorecard.card.artifact import ArtifactError, load_artifact
from scorecard.card.decisions import PolicyError
from scorecard.card.reasons import ReasonError

API_VERSION = "1.0.0"


def build_service(artifact: dict[str, Any], settings: Settings, where: str) -> ScoringService:
    """The scoring service of a loaded card (``where`` names it in errors)."""
    try:
        return ScoringService(artifact, allow_missing=settings.allow_missing,
                              max_batch=settings.max_batch, cutoff=settings.cutoff,
                              refer_band=settings.refer_band,
                              reason_method=settings.reason_method,
                              automated_declines=settings.automated_declines)
    except (PolicyError, ReasonError) as exc:
        raise SettingsError(f"refusing to start: {ENV_CUTOFF}/policy for {where}: "
                            f"{exc}") from exc
    except ArtifactError as exc:
        raise ArtifactError(f"refusing to start: the model artifact {where} is "
                            f"not servable: {exc}") from exc


def load_service(settings: Settings) -> ScoringService:
    """The scoring service of ``settings.artifact``; raises ArtifactError naming the file."""
    try:
        artifact = load_artifact(settings.artifact)
    except ArtifactError as exc:
        raise ArtifactError(f"refusing to start: the model artifact {settings.artifact} is "
                            f"not servable: {exc}") from exc
    return build_service(artifact, settings, str(settings.artifact))


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    configure_logging()
    # From the registry: the live cards, switched while serving; else the artifact file.
    live = None if settings.registry is None else LiveCards(
        settings, lambda card: build_service(card, settings, f"card {card['model_id']}"))
    service = load_service(settings) if live is None else live.service
    if live is None:
        metrics.model_loaded(service.model_id, service.content_hash)
    metrics.automated_declines(settings.automated_declines)
    recorder = None if settings.decision_log is None else DecisionRecorder(
        settings, model_id=service.model_id, content_hash=service.content_hash,
        reason_method=service.reason_method, policy=service.policy,
        id_column=service.id_column, features=list(service.engine.features_))
    oversight = None if settings.decision_log is None else Oversight(settings.decision_log)

    # The guarded controllers: with a key configured, their one guard (it reads the key's
    # digest from the app state) and the OpenAPI document's security; without, neither.
    guarded = Router("/", route_handlers=[ScoringController, CardController,
                                          BenchmarkController, MetricsController],
                     guards=[auth.require_api_key] if settings.api_key else None,
                     security=[{auth.SCHEME_NAME: []}] if settings.api_key else None)

    reviewed = Router("/", route_handlers=[ReviewController],
                      security=[{auth.SCHEME_NAME: []}] if settings.reviewer_keys else None)

    # One admission per worker: the app's middleware and the HTTP protocol (api.protocols),
    # which refuses the excess at its headers, share it.
    admission = Admission(settings.max_in_flight, settings.latency_budget_ms,
                          refusal_ratio=settings.refusal_ratio)
    install(admission)

    # Ready from the end of start-up until shutdown begins (the load balancer then drains).
    def current() -> ScoringService:
        return service if live is None else live.service

    # Bound now: a probe port that cannot be used stops the worker before it serves.
    probes = None
    if settings.probe_port is not None:
        try:
            probes = ProbeServer(settings.probe_port, lambda: readiness(current(), recorder))
        except OSError as exc:
            raise SettingsError(f"{ENV_PROBE_PORT}={settings.probe_port}: cannot listen: "
                                f"{exc.strerror or exc}") from exc

    async def start_accepting() -> None:
        if recorder is not None:
            await recorder.start()  # the writer process, and the task reading its answers
        if live is not None:
            await live.start()  # the task following the registry
        # The start-up heap (card, app, libraries) lives as long as the worker: frozen, a
        # full collection no longer walks it, so collections during serving scan only what
        # requests made and stay short instead of stalling every answer in flight.
        gc.collect()
        gc.freeze()
        admission.start_serving()
        current().ready = True
        if probes is not None:
            probes.start()

    async def stop_accepting() -> None:
        if live is not None:
            await live.close()
        current().ready = False
        metrics.flush_populations()
        if recorder is not None:
            await recorder.close()  # what is queued is committed first
        if oversight is not None:
            oversight.close()
        if probes is not None:
            await probes.close()

    def records_for(service: ScoringService) -> DecisionRecorder | None:
        # The recorder keeps the service's answers. Declared as depending on it, the two
        # are resolved one after the other in the request's own task: two independent
        # dependencies would cost a task group of two tasks on every request.
        return recorder

    app = Litestar(
        route_handlers=[guarded, reviewed, ProbeController, docs.serve_asset],
        # Resolved once per request: the request keeps the card it started with.
        dependencies={"service": Provide(current, use_cache=live is None, sync_to_thread=False),
                      "recorder": Provide(records_for, use_cache=True, sync_to_thread=False),
                      "oversight": Provide(lambda: oversight, use_cache=True,
                                           sync_to_thread=False)},
        # Access outermost: requests shed here are logged and counted too.
        middleware=[AccessMiddleware.configured(settings.body_timeout_s),
                    OverloadMiddleware.configured(admission)],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[start_accepting],
        on_shutdown=[stop_accepting],
        openapi_config=OpenAPIConfig(
            title="Credit scorecard API",
            version=API_VERSION,
            description=(f"Scores applicants with the published card `{service.model_id}` "
                         f"(`{service.content_hash}`). Interactive docs: `/schema/swagger`, "
                         "`/schema/redoc`; schema: `/schema/openapi.json`."),
            path="/schema",
            render_plugins=docs.render_plugins(),  # assets served here: docs work offline
            components=Components(security_schemes={auth.SCHEME_NAME: auth.SECURITY_SCHEME}
                                  if settings.api_key or settings.reviewer_keys else None),
        ),
        logging_config=None,  # our JSON loggers (api.access_log); no Litestar default handlers
        debug=False,
    )
    auth.configure(app.state, settings.api_key, settings.reviewer_keys)
    document_request_bodies(app, service, settings)
    return app
