"""The routes, grouped by controller; handlers stay thin (decode, call the service, return a
struct). Tags and request limits are declared once per controller; the scoring key's guard
once, on the router of the guarded controllers (:func:`api.app.create_app`), and only when a
key is configured (a guard that admits everyone would still cost every request a copy of its
handler); the reviewers' guard on :class:`ReviewController`.

* :class:`ScoringController` — ``POST /v1/score``, ``POST /v1/score/batch``,
  ``POST /v1/explain``
* :class:`CardController` — ``GET /v1/scorecard``
* :class:`BenchmarkController` — ``GET|POST /v1/ping`` (the baseline of ``scripts/bench_api.py``)
* :class:`ProbeController` — ``/health``, ``/ready`` (always open: the load balancer's)
* :class:`MetricsController` — ``/metrics`` (behind the API key when one is configured)
* :class:`ReviewController` — ``GET /v1/decisions`` (the referral queue),
  ``GET /v1/decisions/{id}``, ``POST /v1/decisions/{id}/override`` (reviewers' keys only)

GET routes answer HEAD too. Request bodies are read raw and decoded in :mod:`api.bodies`, so
the service can report every offending field at once; their OpenAPI schema is attached in
:mod:`api.openapi`.
"""

from __future__ import annotations

import time
from typing import Any, Literal, cast

import anyio
import msgspec
from litestar import Controller, Request, Response, post, route
from litestar.enums import HttpMethod, MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from api import auth
from api import prometheus as metrics
from api.auth import require_reviewer_key, reviewer
from api.bodies import decode, decode_batch, read
from api.decisions import DecisionRecorder, Oversight, api_key_id, no_log
from api.overload import BATCH_UNIT_BYTES, work_done
from api.probes import readiness
from api.responses import (
    BatchResult,
    Card,
    DecisionPage,
    DecisionView,
    ErrorBody,
    ExplainResult,
    Health,
    Override,
    Pong,
    Ready,
    ScoreResult,
)
from api.service import ScoringService
from api.settings import SINGLE_BODY_BYTES
from scorecard.data.decision_log import utc_now

_encode = msgspec.json.Encoder().encode
INLINE_BATCH_BYTES = 2 * BATCH_UNIT_BYTES  # about 200 applicants


def get(path: str, *, operation_id: str, **kwargs: Any) -> Any:
    """``@get`` that answers HEAD too (same headers, no body; operation ``<id>Head``)."""
    def op_id(_: Any, method: str, __: Any) -> str:
        return operation_id if method == HttpMethod.GET else f"{operation_id}Head"

    return route(path, http_method=[HttpMethod.GET, HttpMethod.HEAD], operation_id=op_id,
                 **kwargs)


def _spec(model: type, description: str) -> ResponseSpec:
    # No generated examples: Litestar would make them with polyfactory and Faker, which the
    # serving image leaves out (requirements/runtime.overrides); random values document
    # nothing anyway.
    return ResponseSpec(model, description=description, generate_examples=False)


_AUTH = {401: _spec(ErrorBody, "missing or invalid X-API-Key (only when "
                    "the service has a key configured)")}
_TOO_LARGE = {413: _spec(ErrorBody, "the body (or one batch item) exceeds its size limit")}
_SCORING = {
    400: _spec(ErrorBody, "the body is not valid JSON"),
    **_AUTH,
    **_TOO_LARGE,
    422: _spec(ErrorBody, "the request breaks the data contract: `errors` "
               "names every offending field, its rule and (batch) the item index"),
}


class ScoringController(Controller):
    path = "/v1"
    tags = ("scoring",)

    @post("/score", operation_id="score", summary="Score one applicant", status_code=200,
          request_max_body_size=SINGLE_BODY_BYTES, responses=_SCORING)
    async def score(self, request: Request, service: ScoringService,
                    recorder: DecisionRecorder | None) -> Response[ScoreResult]:
        """pd, score, grade and the top 4 reason codes of one applicant.

        Send one row of the data file as a JSON object in the contract's field names (`NA`
        as null). Fields the contract declares nullable may be null or absent, both listed
        in `missing`: a null is scored in the card's missing bin, a field left out in its
        characteristic's riskiest bin (leaving a field out never raises a score); `gaps`
        names each and the points it cost. The others are required, as in the file (unless
        the service runs with `SCORECARD_ALLOW_MISSING=1`). `uuid` is
        optional and echoed. `default` (the target) may be sent (0, 1 or null) but is
        ignored. Unknown fields are rejected. Every offending field is reported at once
        (422). Body limit 64 KiB. `decision_id` (also header `X-Decision-Id`) names the
        answer; with a decision log it is sent only once its record is committed.
        """
        received, started = utc_now(), time.perf_counter()
        payload = decode(await read(request))
        result = service.score_one(payload)
        if recorder is not None:
            rows = [recorder.row("score", received, started, payload, result,
                                 service.policy, service.shadow_one(payload))]
            work_done(request.scope)  # the next request runs while this one commits
            await recorder.commit(rows)
        metrics.scored("single", 1)
        return Response(result, headers={"X-Decision-Id": result.decision_id})

    @post("/score/batch", operation_id="scoreBatch", summary="Score a batch of applicants",
          status_code=200, responses=_SCORING)
    async def score_batch(self, request: Request, service: ScoringService,
                          recorder: DecisionRecorder | None) -> Response[BatchResult]:
        """Score a JSON array of applicants (same fields as `/v1/score`) in one vectorised
        pass.

        Results come back in input order. At most `SCORECARD_MAX_BATCH` items (default
        10,000), each at most 64 KiB, and `SCORECARD_MAX_BODY_BYTES` bytes (default 32 MiB).
        If any item breaks the contract nothing is scored and the 422 lists every offending
        item index and field. Each result has its own `decision_id`.
        """
        received, started = utc_now(), time.perf_counter()
        body = await read(request)
        # Decoding and scoring a large batch takes a noticeable share of a second: off the
        # loop, so health probes keep being answered and the excess refused meanwhile. A small
        # batch runs on the loop: a thread hop would cost more than it saves, and a thread
        # holding the GIL delays the loop by up to its switch interval.
        if len(body) <= INLINE_BATCH_BYTES:
            content, rows = _score_batch(service, body, recorder, received, started)
        else:
            content, rows = await anyio.to_thread.run_sync(_score_batch, service, body,
                                                           recorder, received, started)
        if recorder is not None and rows:
            work_done(request.scope)
            await recorder.commit(rows)
        # The content is the BatchResult already encoded; the annotation documents it.
        return cast("Response[BatchResult]", Response(content, media_type=MediaType.JSON))

    @post("/explain", operation_id="explain", summary="Decision, reasons and counterfactuals",
          status_code=200, request_max_body_size=SINGLE_BODY_BYTES, responses=_SCORING)
    async def explain(self, request: Request, service: ScoringService,
                      recorder: DecisionRecorder | None) -> Response[ExplainResult]:
        """What an applicant below the cut-off could change to reach it.

        Body: `{"applicant": {...}, "k": 3, "cutoff": "grade:E", "refer_band": 0}`; the
        applicant as for `/v1/score`; `k` (1-10, default 3) alternatives; `cutoff` (a score,
        `pd:0.05` or `grade:E`) defaults to the service's policy (`SCORECARD_CUTOFF`, then
        required). Returns the decision, the adverse-action reasons and up to `k`
        counterfactuals with the fewest changed characteristics (then fewest points gained,
        then fewest bins moved), each a different set of actionable characteristics, moved
        only into regular bins (never into a missing or special bin), every one re-scored
        by the engine and reaching the cut-off. `status`: `accepted` (nothing to change),
        `found`, `unreachable` (no actionable change reaches the cut-off) or `not_found`
        (the search limit came first; `search_limit_reached` then says the answer is not
        proven optimal). `decision_id` (also header `X-Decision-Id`) names the answer.
        """
        received, started = utc_now(), time.perf_counter()
        payload = decode(await read(request))
        result, policy = service.explain_with_policy(payload)
        if recorder is not None:
            rows = [recorder.row("explain", received, started, payload["applicant"], result,
                                 policy, service.shadow_one(payload["applicant"]))]
            work_done(request.scope)
            await recorder.commit(rows)
        metrics.scored("explain", 1)
        return Response(result, headers={"X-Decision-Id": result.decision_id})


def _score_batch(service: ScoringService, body: bytes, recorder: DecisionRecorder | None,
                 received: str, started: float) -> tuple[bytes, list[tuple[Any, ...]]]:
    """The encoded answer and its records (none without a log)."""
    payload = decode_batch(body, service.max_batch, SINGLE_BODY_BYTES)
    result = service.score_batch(payload)
    metrics.scored("batch", result.count)
    if recorder is None:
        return _encode(result), []
    shadows = service.shadow_batch(payload)
    rows = [recorder.row("batch", received, started, item, r, service.policy, shadow)
            for item, r, shadow in zip(payload, result.results, shadows, strict=True)]
    return _encode(result), rows


class CardController(Controller):
    path = "/v1"
    tags = ("scorecard",)

    @get("/scorecard", operation_id="getScorecard", summary="The published scorecard",
         responses=_AUTH)
    async def scorecard(self, service: ScoringService) -> Card:
        """The card under review: characteristics, bins, points, scaling, master scale,
        input contract, model id and content hash."""
        return service.card


class BenchmarkController(Controller):
    path = "/v1"
    tags = ("operations",)

    @get("/ping", operation_id="ping", summary="Benchmark baseline", responses=_AUTH,)
    async def ping(self) -> Pong:
        """Constant JSON through the same app, middleware and auth as `/v1/score`: the
        baseline that `scripts/bench_api.py` compares scoring throughput to."""
        return Pong(pong=True)

    @post("/ping", operation_id="pingWithBody", summary="Benchmark baseline with a body",
          status_code=200, request_max_body_size=SINGLE_BODY_BYTES,
          responses={**_AUTH, **_TOO_LARGE})
    async def ping_with_body(self, request: Request) -> Pong:
        """As `GET /v1/ping`, but reads (and discards) a request body: the baseline for the
        transport and body handling that `/v1/score` pays before any scoring."""
        await read(request)
        return Pong(pong=True)


class ProbeController(Controller):
    path = "/"
    tags = ("operations",)

    @get("/health", operation_id="health", summary="Liveness")
    async def health(self) -> Health:
        """Constant `{"status": "ok"}` while the process serves requests."""
        return Health(status="ok")

    @get("/ready", operation_id="ready", summary="Readiness",
         responses={503: _spec(Ready, "not ready (starting, shutting down, or the decision "
                               "log unavailable)")})
    async def ready(self, service: ScoringService,
                    recorder: DecisionRecorder | None) -> Response[Ready]:
        """200 once the artifact is loaded and its content hash verified; 503 otherwise (for
        instance while shutting down, so the load balancer drains the task, or while the
        decision log fails and records are required)."""
        status, body = readiness(service, recorder)
        return Response(body, status_code=status)


class MetricsController(Controller):
    path = "/metrics"
    tags = ("operations",)

    @get("/", operation_id="metrics", summary="Prometheus metrics", media_type=MediaType.TEXT,
         responses=_AUTH)
    async def prometheus_metrics(self, oversight: Oversight | None) -> Response[bytes]:
        """Prometheus text exposition: requests and latency by method, route and status
        class, client disconnects, applicants scored, the served model; with a decision
        log, its oversight counts (referral backlog, override rate). Behind the API key
        when one is configured."""
        body, content_type = metrics.render(None if oversight is None
                                            else await oversight.figures())
        # Litestar appends the charset itself.
        return Response(body, media_type=content_type.split("; charset")[0])


_REVIEW = {
    401: _spec(ErrorBody, "missing or unknown reviewer key (X-API-Key)"),
    403: _spec(ErrorBody, "not a reviewer's key (the scoring key), or no reviewer keys "
               "configured"),
    404: _spec(ErrorBody, "the decision is not in the log, or the service keeps no log"),
}


class ReviewController(Controller):
    """Human oversight of the decision log; only reviewers' keys (never the scoring key)."""

    path = "/v1/decisions"
    tags = ("oversight",)
    guards = (require_reviewer_key,)

    @get("/", operation_id="listDecisions", summary="The referral queue (and any decisions)",
         responses={**_REVIEW, 400: _spec(ErrorBody, "a query parameter out of range")})
    async def decisions(
        self, oversight: Oversight | None,
        decision: Literal["accept", "refer", "decline"] | None = None,
        status: Literal["open", "resolved", "any"] = "open",
        after: str | None = Parameter(default=None, max_length=64),
        limit: int = Parameter(default=100, ge=1, le=1000)) -> DecisionPage:
        """Decisions in id (time) order, `limit` per page: `decision=refer&status=open` is
        the referral queue (referrals no reviewer has overridden yet); `resolved`: those
        overridden; `any`: both. Each with the decision now in effect (`current`). Pass the
        page's `next` as `after` for the following page."""
        if oversight is None:
            raise no_log()
        return await oversight.page(decision, status, after, limit)

    @get("/{decision_id:str}", operation_id="getDecision", summary="A decision's record and "
         "overrides", responses=_REVIEW)
    async def decision(self, decision_id: str, oversight: Oversight | None) -> DecisionView:
        """The record as logged (never changed), every override in order, and the decision
        in effect."""
        if oversight is None:
            raise no_log()
        return await oversight.view(decision_id)

    @post("/{decision_id:str}/override", operation_id="overrideDecision",
          summary="Override a decision", status_code=201,
          request_max_body_size=SINGLE_BODY_BYTES,
          responses={**_REVIEW, 400: _spec(ErrorBody, "the body is not valid JSON"),
                     409: _spec(ErrorBody, "the new decision is the one already in effect"),
                     422: _spec(ErrorBody, "a missing or bad `decision` or `reason`")})
    async def override(self, request: Request, decision_id: str,
                       oversight: Oversight | None) -> Override:
        """Body `{"decision": "accept"|"refer"|"decline", "reason": "..."}`. Recorded
        against the decision in the overrides' own hash chain, signed with the reviewer's
        name (from the key); the decision's record is never changed. An override resolves
        a referral."""
        if oversight is None:
            raise no_log()
        body = decode(await read(request))
        key = next((v for k, v in request.scope["headers"] if k == auth.HEADER), b"")
        return await oversight.override(decision_id, body, reviewer(request),
                                        api_key_id(key.decode("latin-1")))


CONTROLLERS = [ScoringController, CardController, BenchmarkController, ProbeController,
               MetricsController, ReviewController]
GUARDED = ["/v1/score", "/v1/score/batch", "/v1/explain", "/v1/scorecard", "/v1/ping",
           "/metrics"]
