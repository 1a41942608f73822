"""Route handlers (thin: decode, call the service, return a struct) and error mapping.

Request bodies are read raw and decoded with msgspec into plain objects so the service can
report every offending field at once; their OpenAPI schema is attached in :mod:`api.app`.
"""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from api import prometheus as metrics
from api.access_log import SCOPE_REQUEST_ID, UNMATCHED, access_log, log_exception, new_request_id
from api.schemas import BatchResult, Card, ErrorBody, FieldIssue, Health, Pong, Ready, ScoreResult
from api.service import InvalidRequestError, ScoringService
from api.settings import SINGLE_BODY_BYTES

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode


class MalformedBodyError(ValueError):
    """The body is not JSON."""


def _json(body: bytes) -> Any:
    try:
        return _decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:  # e.g. 60,000 nested brackets: fits in 64 KiB, not in the stack
        raise MalformedBodyError("the body is nested too deeply to be an applicant") from None
    except UnicodeDecodeError as exc:  # msgspec raises this (not DecodeError) for non-UTF-8
        raise MalformedBodyError(f"the body is not UTF-8 JSON ({exc.reason})") from None


_ERR = {
    400: ResponseSpec(ErrorBody, description="the body is not valid JSON"),
    401: ResponseSpec(ErrorBody, description="missing or invalid X-API-Key (only when the "
                      "service has a key configured)"),
    413: ResponseSpec(ErrorBody, description="the body exceeds the size limit"),
    422: ResponseSpec(ErrorBody, description="the request breaks the data contract: `errors` "
                      "names every offending field, its rule and (batch) the item index"),
}
_AUTH_ONLY = {401: _ERR[401]}


@post("/score", operation_id="score", summary="Score one applicant", status_code=200,
      request_max_body_size=SINGLE_BODY_BYTES, responses=_ERR, tags=["scoring"])
async def score(request: Request, service: ScoringService) -> ScoreResult:
    """pd, score, grade and the top 4 reason codes of one applicant.

    Send one row of the data file as a JSON object in the contract's field names (`NA` as
    null). Fields the contract declares nullable may be null or absent: they are listed in
    `missing` and scored in the card's missing bin; the others are required, as in the file
    (unless the service runs with `SCORECARD_ALLOW_MISSING=1`). `uuid` is optional and
    echoed. `default` (the target) may be sent (0, 1 or null) but is ignored. Unknown fields
    are rejected. Every offending field is reported at once (422). Body limit 64 KiB.
    """
    result = service.score_one(_json(await request.body()))
    metrics.scored("single", 1)
    return result


def _score_batch(service: ScoringService, body: bytes) -> bytes:
    result = service.score_batch(_json(body))
    metrics.scored("batch", result.count)
    return _encode(result)


@post("/score/batch", operation_id="scoreBatch", summary="Score a batch of applicants",
      status_code=200, responses=_ERR, tags=["scoring"])
async def score_batch(request: Request, service: ScoringService) -> Response[BatchResult]:
    """Score a JSON array of applicants (same fields as `/v1/score`) in one vectorised pass.

    Results come back in input order. At most `SCORECARD_MAX_BATCH` items (default 10,000)
    and `SCORECARD_MAX_BODY_BYTES` bytes (default 32 MiB). If any item breaks the contract
    nothing is scored and the 422 lists every offending item index and field.
    """
    body = await request.body()
    # Decoding and scoring 10k rows takes ~0.1-0.3 s of CPU: off the event loop, so health
    # probes and single scores keep being served meanwhile.
    content = await anyio.to_thread.run_sync(_score_batch, service, body)
    return Response(content, media_type=MediaType.JSON)


@get("/scorecard", operation_id="getScorecard", summary="The published scorecard",
     responses=_AUTH_ONLY, tags=["scorecard"])
async def scorecard(service: ScoringService) -> Card:
    """The card under review: characteristics, bins, points, scaling, master scale, input
    contract, model id and content hash."""
    return service.card


@get("/ping", operation_id="ping", summary="Benchmark baseline", responses=_AUTH_ONLY,
     tags=["operations"])
async def ping() -> Pong:
    """Constant JSON through the same app, middleware and auth as `/v1/score`: the baseline
    that `scripts/bench_api.py` compares scoring throughput to."""
    return Pong(pong=True)


@post("/ping", operation_id="pingWithBody", summary="Benchmark baseline with a body",
      status_code=200, request_max_body_size=SINGLE_BODY_BYTES,
      responses={401: _ERR[401], 413: _ERR[413]}, tags=["operations"])
async def ping_with_body(request: Request) -> Pong:
    """As `GET /v1/ping`, but reads (and discards) a request body: the baseline for the
    transport and body handling that `/v1/score` pays before any scoring."""
    await request.body()
    return Pong(pong=True)


@get("/health", operation_id="health", summary="Liveness", tags=["operations"])
async def health() -> Health:
    """Constant `{"status": "ok"}` while the process serves requests."""
    return Health(status="ok")


@get("/ready", operation_id="ready", summary="Readiness", tags=["operations"],
     responses={503: ResponseSpec(Ready, description="not ready (starting or shutting down)")})
async def ready(service: ScoringService) -> Response[Ready]:
    """200 once the artifact is loaded and its content hash verified; 503 otherwise (for
    instance while shutting down, so the load balancer drains the task)."""
    if service.ready:
        return Response(Ready("ready", service.model_id, service.content_hash))
    return Response(Ready("not_ready", detail="the service is shutting down"),
                    status_code=HTTP_503_SERVICE_UNAVAILABLE)


@get("/metrics", operation_id="metrics", summary="Prometheus metrics", media_type=MediaType.TEXT,
     tags=["operations"])
async def prometheus_metrics() -> Response[str]:
    """Prometheus text exposition: requests and latency by route and status, applicants
    scored, the served model."""
    body, content_type = metrics.render()
    # Litestar appends the charset itself.
    return Response(body, media_type=content_type.split("; charset")[0])


# --------------------------------------------------------------------------- errors


def _error(request: Request, status: int, detail: str, errors: list[FieldIssue] | None = None,
           truncated: bool = False, headers: dict[str, str] | None = None) -> Response[ErrorBody]:
    request_id = request.scope.get(SCOPE_REQUEST_ID)  # type: ignore[call-overload]
    if request_id is None:
        # Not routed (404/405): the access middleware never saw it, so log it here.
        request_id = new_request_id(request.scope["headers"])
        access_log(request.method, request.scope["path"], UNMATCHED, status, 0.0, request_id)
        headers = {**(headers or {}), "x-request-id": request_id}
    return Response(ErrorBody(status, detail, errors or [], truncated), status_code=status,
                    headers=headers)


def on_invalid(request: Request, exc: InvalidRequestError) -> Response[ErrorBody]:
    issues = [FieldIssue(i.field, i.rule, i.message, i.index) for i in exc.issues]
    fields = sorted({i.field for i in exc.issues})
    detail = (f"the request breaks the data contract in {len(exc.issues)} place(s): "
              f"{', '.join(fields[:20])}{' ...' if len(fields) > 20 else ''}")
    return _error(request, HTTP_422_UNPROCESSABLE_ENTITY, detail, issues, exc.truncated)


def on_malformed(request: Request, exc: MalformedBodyError) -> Response[ErrorBody]:
    return _error(request, HTTP_400_BAD_REQUEST, str(exc))


def on_http(request: Request, exc: HTTPException) -> Response[ErrorBody]:
    return _error(request, exc.status_code, exc.detail, headers=exc.headers)


def on_unexpected(request: Request, exc: Exception) -> Response[ErrorBody]:
    log_exception(exc, request.scope.get(SCOPE_REQUEST_ID), request.scope["path"])  # type: ignore[call-overload]
    return _error(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    InvalidRequestError: on_invalid,
    MalformedBodyError: on_malformed,
    HTTPException: on_http,
    Exception: on_unexpected,
}
