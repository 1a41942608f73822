"""Load shedding and client deadlines for the scoring routes.

**Bounded in-flight work, sized by a latency budget.** Each worker admits at most ``limit``
units of scoring work at a time; a request beyond it gets an immediate ``503`` with
``Retry-After: 1`` and the JSON error body, counted in ``scorecard_shed_total{route}``.
Queueing helps nobody: the client (or its load balancer) can retry another worker at once,
and the accepted requests stay fast. The limit follows from Little's law. Admitted work runs
one request at a time (below), so an admitted request waits for the work running when it
arrived (at most one unit: the loop reads its sockets between two), then for the units
admitted before it, then its own: at most ``(limit + 1) x unit_ms``. Hence::

    limit = clamp(floor(SCORECARD_LATENCY_BUDGET_MS / unit_ms) - 1, 1, SCORECARD_MAX_IN_FLIGHT)

where ``unit_ms`` is *measured*: the worker's busy wall time per unit of work completed, over
windows of at least :data:`WINDOW_S` s and :data:`WINDOW_MIN_UNITS` units, smoothed
(:data:`SMOOTHING`). Busy means some admitted request has its body in and its response not
yet started, so under saturation ``unit_ms`` is ``1 / throughput``: it includes everything
the worker does meanwhile (routing, encoding, refusing the excess), and the limit shrinks
when the machine gets slower or the refusals get heavier. Before the first measurement
``unit_ms`` is :data:`INITIAL_UNIT_MS` (a 100-applicant batch on one core of the load-test
machine: ~300 batches/s). With the defaults (25 ms, cap 32) that is 6 batches of 100, or 32
single scores (~0.4 ms each). A unit slower than half the budget still gets a limit of 1
(its latency is then its own). ``SCORECARD_LATENCY_BUDGET_MS=0`` turns measuring off: the
limit is then exactly ``SCORECARD_MAX_IN_FLIGHT``; ``SCORECARD_MAX_IN_FLIGHT=0`` turns
shedding off (no limit at all).

* Cost: ``POST /v1/score`` (and ``/v1/explain``) 1 unit; ``POST /v1/score/batch``
  ``ceil(bytes / 140,000)`` units, i.e. about ``ceil(n / 100)`` for ``n`` applicants of
  ~1.4 KB (from ``Content-Length``; a chunked body is charged 1 unit, topped up to its
  real size once received). A batch is charged at most the whole limit, so the largest
  batch still runs on an idle worker (its uncharged units still count in ``unit_ms``).
* Held from the moment the request is admitted to the end of its response, in a plain
  integer: one event loop per worker, so increments and decrements never race. Idle
  keep-alive connections hold nothing (unlike uvicorn's ``--limit-concurrency``).
* **Refused cheaply.** With the service's HTTP protocol (:mod:`api.protocols`) the decision is
  taken as soon as the request's headers are parsed, before any task, routing or body
  buffering: a refused request is answered from pre-encoded bytes and its body (if any) is
  read and discarded on the keep-alive connection, so refusing costs tens of microseconds
  and shedding cannot saturate the worker by itself. Early refusals are counted in the
  metrics one by one and logged as one ``shed`` summary line per second (a log line each
  would cost the CPU that is short). Without that protocol (another server, the test
  client) this middleware refuses, logged like any request.
* **Run one at a time.** Admitted work (from a complete body to the response's start) runs
  one request at a time in arrival order, and the next one starts in the next event-loop
  turn, so the loop reads its sockets (and refuses the excess) between two pieces of work
  instead of after all of them; threads (a large batch) never share the CPU with each
  other. An admitted request thus waits for the work admitted before it, which is what the
  limit bounds.
* Never shed: everything but the scoring routes (``/health``, ``/ready``, ``/metrics``,
  docs, ``/v1/scorecard``, ``/v1/ping``).

**Client deadline.** A request may carry ``X-Request-Timeout-Ms`` (a positive number of
milliseconds): if its work cannot start within that time of the app receiving it (the body
not yet received, the work admitted before it not done, or the deadline below
:data:`MIN_SERVICE_MS`), the server does not start the work and answers ``503`` (detail
``deadline exceeded ...``, ``Retry-After: 1``; counted in
``scorecard_deadline_expired_total{route}``). 503, not 504: no gateway timed out, this server
refused work whose answer would come too late; both mean "nothing was scored, safe to
retry". A malformed header (not a number, not positive, not finite) gets ``400``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.exceptions import HTTPException

from api import prometheus as metrics
from api.responses import ErrorBody

APPLICANT_BYTES = 1_400  # one applicant as compact JSON (the generator's rows: 1.39 KB mean)
BATCH_UNIT_BYTES = 100 * APPLICANT_BYTES
RETRY_AFTER_S = 1
MIN_SERVICE_MS = 1.0  # below this no request can be served: refused at once
DEADLINE_HEADER = b"x-request-timeout-ms"
# Scoring route -> whether it is charged by body size (batch) or 1 unit.
SCORING_ROUTES: dict[str, bool] = {"/v1/score": False, "/v1/explain": False,
                                   "/v1/score/batch": True}
SCOPE_ADMITTED = "scorecard.admitted_units"  # units the HTTP protocol acquired (api.protocols)
# The measured time per unit (module docstring).
INITIAL_UNIT_MS = 3.5
WINDOW_S = 0.1
WINDOW_MIN_UNITS = 4
SMOOTHING = 0.25  # weight of a new window's measurement
SHED_LOG_INTERVAL_S = 1.0

OVERLOADED_DETAIL = ("overloaded: the worker's in-flight limit is reached; retry after "
                     f"{RETRY_AFTER_S} s (nothing was scored)")
_encode = msgspec.json.Encoder().encode
OVERLOADED_BODY = _encode(ErrorBody(503, OVERLOADED_DETAIL))
ACCESS = logging.getLogger("scorecard.access")


class Admission:
    """The in-flight units, the latency-budget limit and the one-at-a-time work slot of
    one worker (module docstring). ``clock`` returns seconds (a parameter so the limit's
    arithmetic can be tested without waiting)."""

    def __init__(self, max_units: int, budget_ms: float = 0.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.max_units = max_units  # the cap (0: no limit at all)
        self.budget_ms = budget_ms  # 0: the limit is max_units
        self.clock = clock
        self.in_flight = 0
        self.unit_ms = INITIAL_UNIT_MS
        self.limit = self._derive_limit()
        self._slot_taken = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._pending = 0  # requests with their body in and their response not started
        self._busy_from = 0.0
        self._busy_s = 0.0
        self._window_from = clock()
        self._window_units = 0
        metrics.in_flight_limit(self.limit, self.unit_ms)

    # ---------------------------------------------------------------- admission

    def acquire(self, units: int) -> bool:
        if self.limit and self.in_flight + units > self.limit:
            return False
        self.in_flight += units
        metrics.in_flight(self.in_flight)
        return True

    def release(self, units: int) -> None:
        self.in_flight -= units
        metrics.in_flight(self.in_flight)

    def cost(self, batch: bool, body_bytes: int | None) -> int:
        """Units charged: 1, or a batch's :func:`real_units` capped at the limit."""
        if not batch or not body_bytes:
            return 1
        units = real_units(True, body_bytes)
        return min(units, self.limit) if self.limit else units

    # ---------------------------------------------------------------- the work slot

    async def start_work(self) -> None:
        """Wait for this worker's slot (FIFO); the caller then runs its work and calls
        :meth:`end_work`, exactly once, however it ends."""
        self._busy_begin()
        if self._slot_taken or self._waiters:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed the slot: pass it on
                    self._hand_over()
                self._busy_end(0)
                raise
        self._slot_taken = True

    def end_work(self, units: int) -> None:
        """The work holding the slot is done (``units``: real units of work it did)."""
        self._busy_end(units)
        try:
            # The slot passes on in the next loop turn: the loop polls its sockets first.
            asyncio.get_running_loop().call_soon(self._hand_over)
        except RuntimeError:  # no running loop (a direct call): hand over at once
            self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot stays taken, now for this waiter
                return
        self._slot_taken = False

    # ---------------------------------------------------------------- measuring

    def _busy_begin(self) -> None:
        if self._pending == 0:
            self._busy_from = self.clock()
        self._pending += 1

    def _busy_end(self, units: int) -> None:
        now = self.clock()
        self._pending -= 1
        if self._pending == 0:
            self._busy_s += now - self._busy_from
        self._window_units += units
        # Measured with or without a budget: the metric helps to choose a fixed limit too.
        if self._window_units >= WINDOW_MIN_UNITS and now - self._window_from >= WINDOW_S:
            busy = self._busy_s + (now - self._busy_from if self._pending else 0.0)
            self.unit_ms += SMOOTHING * (1000 * busy / self._window_units - self.unit_ms)
            self._busy_s, self._busy_from = 0.0, now
            self._window_from, self._window_units = now, 0
            self.limit = self._derive_limit()
            metrics.in_flight_limit(self.limit, self.unit_ms)

    def _derive_limit(self) -> int:
        if not self.max_units or not self.budget_ms:
            return self.max_units
        return min(max(1, int(self.budget_ms / self.unit_ms) - 1), self.max_units)


def real_units(batch: bool, body_bytes: int) -> int:
    """The units of work a request is: 1, or ``ceil(bytes / BATCH_UNIT_BYTES)``."""
    return max(1, math.ceil(body_bytes / BATCH_UNIT_BYTES)) if batch else 1


# The worker's admission, for the HTTP protocol (api.protocols): one app per worker process.
_installed: Admission | None = None


def install(admission: Admission) -> None:
    """Make ``admission`` the one the HTTP protocol refuses early against."""
    global _installed
    _installed = admission


def installed() -> Admission | None:
    return _installed


class Held:
    """An ASGI app that runs ``app`` and then releases units acquired before it started
    (by the HTTP protocol, :mod:`api.protocols`)."""

    def __init__(self, app: Any, admission: Admission, units: int) -> None:
        self.app, self.admission, self.units = app, admission, units

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            self.admission.release(self.units)


class _ShedSummary:
    """Counts early refusals and logs them as one line per interval."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.since = 0.0

    def add(self, route: str) -> None:
        if not self.counts:
            self.since = time.monotonic()
            asyncio.get_running_loop().call_later(SHED_LOG_INTERVAL_S, self.flush)
        self.counts[route] += 1

    def flush(self) -> None:
        ACCESS.info({"event": "shed", "status": 503, "refused": dict(self.counts),
                     "seconds": round(time.monotonic() - self.since, 3)})
        self.counts.clear()


_summary = _ShedSummary()


def refused_early(route: str, seconds: float) -> None:
    """Count one request the HTTP protocol refused at its headers."""
    metrics.shed(route)
    metrics.observe("POST", route, 503, seconds)
    _summary.add(route)


# ---------------------------------------------------------------------- the middleware


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


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
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
    """Sheds scoring requests beyond the worker's in-flight limit (unless the HTTP protocol
    admitted them already), runs their work one at a time and enforces client deadlines
    (module docstring). Use :meth:`configured` to bind one :class:`Admission`."""

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
        length = content_length(headers)
        charged = scope.get(SCOPE_ADMITTED)
        if charged is None:  # not admitted by the HTTP protocol: admit here
            charged = held = admission.cost(batch, length)
            if not admission.acquire(held):
                metrics.shed(route)
                await _send_error(send, _overloaded())
                return
        else:
            held = 0  # released by the protocol's Held wrapper
        deadline = None if deadline_ms is None else arrived + deadline_ms / 1000
        received = 0
        working = False
        units = 0

        def end_work() -> None:
            nonlocal working
            if working:
                working = False
                admission.end_work(units)

        async def receive_checked() -> Any:
            nonlocal charged, held, received, working, units
            message = await receive()
            if message["type"] != "http.request":
                return message
            received += len(message.get("body", b""))
            if message.get("more_body", False):
                return message
            # The body is complete: its work waits for the slot, unless too big.
            if length is None and batch:
                extra = admission.cost(True, received) - charged
                if extra > 0:
                    if not admission.acquire(extra):
                        metrics.shed(route)
                        raise _overloaded()
                    held += extra
                    charged += extra
            await admission.start_work()
            working = True
            if deadline is not None and time.perf_counter() > deadline:
                end_work()
                metrics.deadline_expired(route)
                raise _expired(deadline_ms, "passed before the work could start")  # type: ignore[arg-type]
            units = real_units(batch, received)
            return message

        async def send_ended(message: Any) -> None:
            if message["type"] == "http.response.start":
                end_work()  # the work is done once its response begins
            await send(message)

        try:
            await self.app(scope, receive_checked, send_ended)
        finally:
            end_work()
            if held:
                admission.release(held)


def _overloaded() -> HTTPException:
    return _error(503, OVERLOADED_DETAIL, retry=True)


def _expired(deadline_ms: float, why: str) -> HTTPException:
    return _error(503, f"deadline exceeded: X-Request-Timeout-Ms {deadline_ms:g} {why} "
                  "(nothing was scored)", retry=True)
