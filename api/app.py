"""The Litestar application factory.

Run with ``scorecard serve`` or ``uvicorn --factory api.app:create_app``. Settings come from
the environment (:mod:`api.settings`). The artifact is loaded and its content hash verified
here, before the app exists: a tampered or unreadable card raises
:class:`~scorecard.card.artifact.ArtifactError` and the server does not start.
"""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Reference

from api import prometheus as metrics
from api import routes
from api.access_log import AccessMiddleware, configure_logging
from api.auth import SCHEME_NAME, SECURITY_SCHEME, api_key_guard
from api.schemas import EXAMPLE_APPLICANT, applicant_schema, request_bodies
from api.service import ScoringService
from api.settings import Settings
from scorecard.card.artifact import ArtifactError

API_VERSION = "1.0.0"


def load_service(settings: Settings) -> ScoringService:
    """The scoring service of ``settings.artifact``; raises ArtifactError naming the file."""
    try:
        return ScoringService.from_path(settings.artifact, allow_missing=settings.allow_missing,
                                        max_batch=settings.max_batch)
    except ArtifactError as exc:
        raise ArtifactError(f"refusing to start: the model artifact {settings.artifact} is "
                            f"not servable: {exc}") from exc


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    configure_logging()
    service = load_service(settings)
    metrics.model_loaded(service.model_id, service.content_hash)

    security = [{SCHEME_NAME: []}] if settings.api_key else None
    v1 = Router(
        "/v1",
        route_handlers=[routes.score, routes.score_batch, routes.scorecard, routes.ping,
                        routes.ping_with_body],
        guards=[api_key_guard(settings.api_key)] if settings.api_key else None,
        security=security,
    )

    # Ready from the end of start-up until shutdown begins (the load balancer then drains).
    def start_accepting() -> None:
        service.ready = True

    def stop_accepting() -> None:
        service.ready = False

    app = Litestar(
        route_handlers=[v1, routes.health, routes.ready, routes.prometheus_metrics],
        dependencies={"service": Provide(lambda: service, use_cache=True, sync_to_thread=False)},
        middleware=[AccessMiddleware],
        exception_handlers=routes.EXCEPTION_HANDLERS,
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
            render_plugins=[SwaggerRenderPlugin(), RedocRenderPlugin()],
            components=Components(security_schemes={SCHEME_NAME: SECURITY_SCHEME}
                                  if settings.api_key else None),
        ),
        logging_config=None,  # our JSON loggers (api.access_log); no Litestar default handlers
        debug=False,
    )
    _document_request_bodies(app, service, settings)
    return app


def _document_request_bodies(app: Litestar, service: ScoringService, settings: Settings) -> None:
    """Attach the contract-generated request schema to the two scoring operations.

    The handlers read raw bytes (see :mod:`api.routes`), so Litestar cannot infer their
    bodies; the schema is generated once from the card's input contract and patched into
    the cached OpenAPI document before it is first served.
    """
    openapi = app.openapi_schema
    # Explicit checks, not asserts: `python -O` strips asserts (bandit B101).
    if openapi.components is None or openapi.paths is None:
        raise RuntimeError("the OpenAPI document has no components or paths")
    schemas = dict(openapi.components.schemas or {})
    schemas["Applicant"] = applicant_schema(service.columns, service.id_column, service.target,
                                            settings.allow_missing)
    openapi.components.schemas = schemas
    names = {c.name for c in service.columns}
    example = EXAMPLE_APPLICANT if set(EXAMPLE_APPLICANT) == names else None
    single, batch = request_bodies(Reference("#/components/schemas/Applicant"),
                                   settings.max_batch, example)
    score_op = openapi.paths["/v1/score"].post
    batch_op = openapi.paths["/v1/score/batch"].post
    if score_op is None or batch_op is None:
        raise RuntimeError("the OpenAPI document lacks the scoring operations")
    score_op.request_body = single
    batch_op.request_body = batch
