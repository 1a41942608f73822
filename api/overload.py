"""Load shedding and client deadlines for the scoring routes (pure ASGI middleware).

**Bounded in-flight work.** Each worker admits at most ``SCORECARD_MAX_IN_FLIGHT`` units of
scoring work at a time (default 8, :data:`api.settings.DEFAULT_MAX_IN_FLIGHT`); a request
beyond that gets an immediate ``503`` with ``Retry-After: 1`` and the JSON error body, and
is counted in ``scorecard_shed_total{route}``. Queueing for seconds helps nobody: the
client (or its load balancer) can retry another worker at once, and the accepted requests
stay fast.

* Cost: ``POST /v1/score`` (and ``/v1/explain``) 1 unit; ``POST /v1/score/batch``
  ``ceil(bytes / 140,000)`` units, i.e. about ``ceil(n / 100)`` for ``n`` applicants of
  ~1.4 KB (from ``Content-Length``; a chunked body is charged 1 unit, topped up to its
  real size once received). A batch costs at most the whole limit, so the largest batch
  still runs on an idle worker.
* Counted from the moment the app receives the request (after routing) to the end of its
  response, in a plain integer: one event loop per worker, so increments and decrements
  never race; the batch work runs in a thread but is counted by the coroutine awaiting it.
  Idle keep-alive connections hold nothing (unlike uvicorn's ``--limit-concurrency``).
* Per event-loop turn, too. A single score never waits on I/O (its body is already
  buffered), so it runs to completion in the loop turn that starts it, and an in-flight
  count alone would never exceed 1 however many requests the loop had queued. So the units
  of requests that finished in the current turn still count until the turn ends: one turn
  admits at most the limit's worth of work, and the rest of the requests the loop
  dispatched in it (its backlog) are shed at once instead of waiting a turn per 8 requests.
* Never shed: everything but the scoring routes (``/health``, ``/ready``, ``/metrics``,
  docs, ``/v1/scorecard``, ``/v1/ping``).

**Client deadline.** A request may carry ``X-Request-Timeout-Ms`` (a positive number of
milliseconds): if its work cannot start within that time of the app receiving it (the body
not yet received, or the deadline below :data:`MIN_SERVICE_MS`), the server does not start
the work and answers ``503`` (detail ``deadline exceeded ...``, ``Retry-After: 1``; counted
in ``scorecard_deadline_expired_total{route}``). 503, not 504: no gateway timed out, this
server refused work whose answer would come too late; both mean "nothing was scored, safe to
retry". A malformed header (not a number, not positive, not finite) gets ``400``.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.exceptions import HTTPException

from api import prometheus as metrics
from api.schemas import ErrorBody

APPLICANT_BYTES = 1_400  # one applicant as compact JSON (the generator's rows: 1.39 KB mean)
BATCH_UNIT_BYTES = 100 * APPLICANT_BYTES
RETRY_AFTER_S = 1
MIN_SERVICE_MS = 1.0  # below this no request can be served: refused at once
DEADLINE_HEADER = b"x-request-timeout-ms"
# Scoring route -> whether it is charged by body size (batch) or 1 unit.
SCORING_ROUTES: dict[str, bool] = {"/v1/score": False, "/v1/explain": False,
                                   "/v1/score/batch": True}

_encode = msgspec.json.Encoder().encode


@dataclass
class Admission:
    """The in-flight units of one worker (shared by every route's middleware instance)."""

    max_units: int  # 0: no limit
    in_flight: int = 0
    turn_done: int = 0  # units finished in the current event-loop turn (module docstring)
    _turn_reset_pending: bool = False

    def acquire(self, units: int) -> bool:
        if self.max_units and self.in_flight + self.turn_done + units > self.max_units:
            return False
        self.in_flight += units
        metrics.in_flight(self.in_flight)
        return True

    def release(self, units: int) -> None:
        self.in_flight -= units
        metrics.in_flight(self.in_flight)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a direct call): no turn to account for
            return
        self.turn_done += units
        if not self._turn_reset_pending:
            # call_soon runs in the next turn, before the requests that turn dispatches.
            self._turn_reset_pending = True
            loop.call_soon(self._new_turn)

    def _new_turn(self) -> None:
        self.turn_done = 0
        self._turn_reset_pending = False

    def cost(self, batch: bool, body_bytes: int | None) -> int:
        if not batch or not body_bytes:
            return 1
        units = math.ceil(body_bytes / BATCH_UNIT_BYTES)
        return min(units, self.max_units) if self.max_units else units


class DeadlineHeaderError(ValueError):
    """``X-Request-Timeout-Ms`` is not a positive, finite number."""


def parse_deadline_ms(headers: list[tuple[bytes, bytes]]) -> float | None:
    """The client's deadline in ms, ``None`` without the header."""
    for name, value in headers:
        if name == DEADLINE_HEADER:
            try:
                ms = float(value.decode("latin-1").strip())
            except ValueError:
                raise DeadlineHeaderError(
                    f"X-Request-Timeout-Ms: {value[:40].decode('latin-1')!r} is not a number "
                    "of milliseconds") from None
            if not math.isfinite(ms) or ms <= 0:
                raise DeadlineHeaderError(f"X-Request-Timeout-Ms: must be a positive, finite "
                                          f"number of milliseconds, got {ms:g}")
            return ms
    return None


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return max(int(value), 0)
            except ValueError:
                return None  # the server refuses it anyway
    return None


def _error(status: int, detail: str, retry: bool) -> HTTPException:
    return HTTPException(status_code=status, detail=detail,
                         headers={"retry-after": str(RETRY_AFTER_S)} if retry else None)


async def _send_error(send: Any, exc: HTTPException) -> None:
    body = _encode(ErrorBody(exc.status_code, exc.detail))
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (exc.headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class OverloadMiddleware:
    """Sheds scoring requests beyond the worker's in-flight limit and enforces client
    deadlines (module docstring). Use :meth:`configured` to bind one :class:`Admission`."""

    admission: Admission = Admission(0)

    def __init__(self, app: Any) -> None:
        self.app = app

    @classmethod
    def configured(cls, admission: Admission) -> type[OverloadMiddleware]:
        return type(cls.__name__, (cls,), {"admission": admission})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        batch = SCORING_ROUTES.get(scope["path"]) if scope["type"] == "http" else None
        if batch is None:
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        route = scope["path"]
        headers = scope["headers"]
        try:
            deadline_ms = parse_deadline_ms(headers)
        except DeadlineHeaderError as exc:
            await _send_error(send, _error(400, str(exc), retry=False))
            return
        if deadline_ms is not None and deadline_ms < MIN_SERVICE_MS:
            metrics.deadline_expired(route)
            await _send_error(send, _expired(deadline_ms, "is below the least service time"))
            return
        admission = self.admission
        length = _content_length(headers)
        held = admission.cost(batch, length)
        if not admission.acquire(held):
            metrics.shed(route)
            await _send_error(send, _overloaded())
            return
        deadline = None if deadline_ms is None else arrived + deadline_ms / 1000
        received = 0

        async def receive_checked() -> Any:
            nonlocal held, received
            message = await receive()
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if message.get("more_body", False):
                return message
            # The body is complete: the work starts now, unless too late or too big.
            if deadline is not None and time.perf_counter() > deadline:
                metrics.deadline_expired(route)
                raise _expired(deadline_ms, "passed before the work could start")  # type: ignore[arg-type]
            if length is None and batch:
                extra = admission.cost(True, received) - held
                if extra > 0:
                    if not admission.acquire(extra):
                        metrics.shed(route)
                        raise _overloaded()
                    held += extra
            return message

        try:
            await self.app(scope, receive_checked, send)
        finally:
            admission.release(held)


def _overloaded() -> HTTPException:
    return _error(503, "overloaded: the worker's in-flight limit is reached; retry after "
                  f"{RETRY_AFTER_S} s (nothing was scored)", retry=True)


def _expired(deadline_ms: float, why: str) -> HTTPException:
    return _error(503, f"deadline exceeded: X-Request-Timeout-Ms {deadline_ms:g} {why} "
                  "(nothing was scored)", retry=True)
