"""Load shedding, fair admission and client deadlines for the scoring routes.

**The problem a flood poses.** A closed-loop client (a retrying client, a load balancer)
sends its next request as soon as it has an answer, 503 or not. With ``N`` such
connections and a worker scoring ``C`` requests per second, Little's law says
``N = X_ok x R_ok + X_503 x R_503``: if the accepted answers are to stay fast (``R_ok``
a few ms) and the refusals are answered at once, the refusal rate ``X_503`` grows with
``N`` until refusing takes the whole worker and goodput collapses. So refusals here are
*paced*: the worker answers a bounded number of them, and the others wait their turn (at
most the ``Retry-After`` second); a flood of any size then costs a bounded share of the CPU.

**Bounded in-flight work, sized by a latency budget.** Each worker admits at most ``limit``
units of scoring work at a time; beyond it a request waits in the room (below) or is
refused with ``503``, ``Retry-After: 1`` and the JSON error body, counted in
``scorecard_shed_total{route}``. Queueing long helps nobody: the client (or its load
balancer) can retry another worker, and the accepted requests stay fast. The limit follows
from Little's law. Admitted work runs one request at a time (below), so an admitted request
waits for the work running when it arrived, then for the units admitted before it, then its
own: at most ``(limit + 1) x unit_ms``. Hence::

    limit = clamp(floor(SCORECARD_LATENCY_BUDGET_MS / unit_ms) - 1, 1, SCORECARD_MAX_IN_FLIGHT)

where ``unit_ms`` is *measured*: the worker's CPU time per unit of work completed, over
windows of at least :data:`WINDOW_S` s and :data:`WINDOW_MIN_UNITS` units, smoothed
(:data:`SMOOTHING`). CPU time, not wall time: the work's own cost (parsing, routing,
scoring, encoding), which neither idle gaps nor the other processes of a shared machine
inflate; refusing is in it too, but paced refusals keep that share small, so a flood cannot
talk the limit down (wall time per unit did: the busier the refusing, the lower the limit,
down to 1, and goodput collapsed with it). Before the first measurement ``unit_ms`` is
:data:`INITIAL_UNIT_MS` (a 100-applicant batch on one core). With the defaults (25 ms, cap
32) that is 6 batches of 100, or 32 single scores. A unit slower than half the budget still
gets a limit of 1 (its latency is then its own). ``SCORECARD_LATENCY_BUDGET_MS=0`` turns
measuring off: the limit is then exactly ``SCORECARD_MAX_IN_FLIGHT``;
``SCORECARD_MAX_IN_FLIGHT=0`` turns shedding off (no limit at all).

* Cost: ``POST /v1/score`` (and ``/v1/explain``) 1 unit; ``POST /v1/score/batch``
  ``ceil(bytes / 140,000)`` units, i.e. about ``ceil(n / 100)`` for ``n`` applicants of
  ~1.4 KB (from ``Content-Length``; a chunked body is charged 1 unit, topped up to its
  real size once received). A batch is charged at most the whole limit, so the largest
  batch still runs on an idle worker (its uncharged units still count in ``unit_ms``).
* Held from the moment the request is admitted to the end of its response, in a plain
  integer: one event loop per worker, so increments and decrements never race. Idle
  keep-alive connections hold nothing (unlike uvicorn's ``--limit-concurrency``).
* **The waiting room, fair between connections** (with the service's HTTP protocol,
  :mod:`api.protocols`). A request that finds the limit reached waits in a small room
  (a quarter of the limit, at least one unit) instead of being refused at once; whenever
  units are released the room's requests are admitted, *the connection admitted longest
  ago first*; when the room overflows, the request whose connection was admitted most
  recently is refused. A greedy connection (back to back, or many at once) therefore
  cannot starve a polite one: the polite one waits at most for the work ahead of it and
  then goes first. A request waits in the room at most the latency budget
  (:data:`ROOM_WAIT_S` without a budget), else it is refused: its answer would come too
  late. HTTP/1.1 answers a connection's requests in order, so a connection has at most
  one request admitted or waiting; fairness is per connection (a client that opens many
  connections gets a share per connection).
* **Paced refusals.** Each completed request earns ``SCORECARD_REFUSAL_RATIO`` (0.1)
  refusals answered at once, banked up to :data:`PACE_BURST`; the other refused requests
  wait their turn in arrival order (their connection idle: a closed-loop client sends
  nothing until it has its answer), and none waits longer than ``Retry-After``
  (:data:`RETRY_AFTER_S`), give or take the ticks that spread a wave of them
  (:data:`PACE_SWEEP_MAX` a tick). A refused request still costs a good part of a score (it
  is read and parsed, its answer written), so refusing costs about a tenth of a refusal per
  score, a few per cent of the worker, whatever the flood; only the one-second bound can
  make it more (``N`` connections beyond the room are answered at least every second). Beyond
  :data:`REFUSALS_QUEUED_MAX` queued refusals (an open-loop flood of new connections) the
  excess is refused at once. ``SCORECARD_REFUSAL_RATIO=0``: every refusal at once.
* **Refused cheaply.** The decision is taken when the request's headers are parsed,
  before any task, routing or body buffering: a refused request is answered from
  pre-encoded bytes and its body (if any) is read and discarded on the keep-alive
  connection. Refusals are counted in the metrics one by one and logged as one ``shed``
  summary line per second (a log line each would cost the CPU that is short). Without
  that protocol (another server, the test client) this middleware refuses at once, logged
  like any request: no room, no pacing.
* **Run one at a time.** Admitted work (from a complete body to the response's start) runs
  one request at a time in arrival order, and the next one starts in the next event-loop
  turn, so the loop reads its sockets (and answers probes) between two pieces of work
  instead of after all of them; threads (a large batch) never share the CPU with each
  other. An admitted request thus waits for the work admitted before it, which is what the
  limit bounds.
* **Goodput on show.** ``scorecard_scoring_requests_total{stage}`` counts scoring requests
  offered (arrived), admitted, completed (admitted and answered) and refused (503,
  overloaded); ``scorecard_scoring_requests_per_second{stage}`` is each rate over the
  last second (``completed`` is the goodput); ``scorecard_waiting_units`` and
  ``scorecard_refusals_waiting`` show the room and the paced refusals. Offered = admitted
  + refused + waiting (+ requests whose client left while waiting).
* **Waiting is not work.** A handler that has done its work and only waits for I/O (the
  decision log's commit) calls :func:`work_done`: the slot passes on, so the next request
  runs meanwhile and the waiting ones commit together.
* Never shed: everything but the scoring routes (``/health``, ``/ready``, ``/metrics``,
  docs, ``/v1/scorecard``, ``/v1/ping``).

**Client deadline.** A request may carry ``X-Request-Timeout-Ms`` (a positive number of
milliseconds): if its work cannot start within that time of its headers' arrival (waiting in
the room, the body not yet received, the work admitted before it not done, or the deadline below
:data:`MIN_SERVICE_MS`), the server does not start the work and answers ``503`` (detail
``deadline exceeded ...``, ``Retry-After: 1``; counted in
``scorecard_deadline_expired_total{route}``). 503, not 504: no gateway timed out, this server
refused work whose answer would come too late; both mean "nothing was scored, safe to
retry". A malformed header (not a number, not positive, not finite) gets ``400``.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.exceptions import HTTPException

from api import prometheus as metrics
from api.responses import ErrorBody
from scorecard.errors import UsageError

APPLICANT_BYTES = 1_400  # one applicant as compact JSON (the generator's rows: 1.39 KB mean)
BATCH_UNIT_BYTES = 100 * APPLICANT_BYTES
RETRY_AFTER_S = 1
MIN_SERVICE_MS = 1.0  # below this no request can be served: refused at once
DEADLINE_HEADER = b"x-request-timeout-ms"
# Scoring route -> whether it is charged by body size (batch) or 1 unit.
SCORING_ROUTES: dict[str, bool] = {"/v1/score": False, "/v1/explain": False,
                                   "/v1/score/batch": True}
SCOPE_ADMITTED = "scorecard.admitted_units"  # units the HTTP protocol acquired (api.protocols)
SCOPE_ARRIVED = "scorecard.arrived"  # when the HTTP protocol had the request's headers
SCOPE_WORK_DONE = "scorecard.work_done"  # the running request's end_work
# The measured time per unit (module docstring).
INITIAL_UNIT_MS = 3.5
WINDOW_S = 0.1
WINDOW_MIN_UNITS = 4
SMOOTHING = 0.25  # weight of a new window's measurement
SHED_LOG_INTERVAL_S = 1.0
# The waiting room (module docstring): its size as a share of the limit, and the longest a
# request waits in it without a latency budget (with one: the budget).
ROOM_SHARE = 4
ROOM_WAIT_S = 0.1
# Paced refusals: each completed request earns ``refusal_ratio`` refusals answered at once,
# banked up to PACE_BURST; the queue is swept every PACE_TICK_S; a refusal waits at most
# RETRY_AFTER_S; beyond REFUSALS_QUEUED_MAX queued refusals (an open-loop flood of new
# connections) the excess is refused at once.
PACE_BURST = 8.0
PACE_TICK_S = 0.005
# Refusals due at once (a flood's connections all arrived together, so their seconds end
# together) are answered at most this many per tick, the rest in the next ticks: a wave of
# a thousand refusals then never holds the event loop (and with it the scores and /health)
# for tens of milliseconds, and the retries it brings back arrive spread out too.
PACE_SWEEP_MAX = 8
REFUSALS_QUEUED_MAX = 8192
RATES_WINDOW_S = 1.0

OVERLOADED_DETAIL = ("overloaded: the worker's in-flight limit is reached; retry after "
                     f"{RETRY_AFTER_S} s (nothing was scored)")
_encode = msgspec.json.Encoder().encode
OVERLOADED_BODY = _encode(ErrorBody(503, OVERLOADED_DETAIL))
ACCESS = logging.getLogger("scorecard.access")


@dataclass(eq=False, slots=True)
class Ticket:
    """A scoring request offered to :meth:`Admission.offer` by the HTTP protocol: ``start``
    runs it once admitted, ``refuse`` answers it 503 (when its turn among the refusals
    comes: :meth:`Admission.pace`), ``alive`` says whether its client is still there."""

    units: int
    key: float  # when its connection was last admitted: the longer ago, the sooner its turn
    seq: int  # arrival order, among equal keys
    arrived: float
    start: Callable[[], None]
    refuse: Callable[[], None]
    alive: Callable[[], bool]


class Admission:
    """The in-flight units, the latency-budget limit, the waiting room, the paced refusals
    and the one-at-a-time work slot of one worker (module docstring). ``clock`` returns
    seconds (a parameter so the limit's arithmetic can be tested without waiting).
    ``refusal_ratio``: refusals answered at once per completed request (0: every refusal at
    once, no pacing)."""

    def __init__(self, max_units: int, budget_ms: float = 0.0,
                 clock: Callable[[], float] = time.perf_counter,
                 refusal_ratio: float = 0.0,
                 cpu_clock: Callable[[], float] = time.process_time) -> None:
        self.max_units = max_units  # the cap (0: no limit at all)
        self.budget_ms = budget_ms  # 0: the limit is max_units
        self.clock = clock
        self.in_flight = 0
        self.unit_ms = INITIAL_UNIT_MS
        self._measured = False  # unit_ms is the initial guess until the first window ends
        self.limit = self._derive_limit()
        # A heap of (key, seq, ticket): the ticket whose turn is next first.
        self.room: list[tuple[float, int, Ticket]] = []
        self.room_units = 0
        self._room_timer: asyncio.TimerHandle | None = None
        self.refusal_ratio = refusal_ratio
        self._tokens = PACE_BURST
        self.refusals: deque[tuple[float, Callable[[], None]]] = deque()
        self._pace_timer: asyncio.TimerHandle | None = None
        self.counts: Counter[str] = Counter()  # offered, admitted, completed, refused
        self._rates_from = clock()
        self._rates_counts: Counter[str] = Counter()
        self._rates_timer: asyncio.TimerHandle | None = None
        self._slot_taken = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.cpu_clock = cpu_clock
        self._window_from = clock()
        self._window_cpu = cpu_clock()  # the worker's CPU time when the window opened
        self._window_units = 0
        metrics.in_flight_limit(self.limit, self.unit_ms)

    def start_serving(self) -> None:
        """Open the first measuring window now, when the worker starts accepting: the CPU
        time of its start-up (the app, the card, the start-up hooks) is no request's work,
        and charged to the first few it made a fresh worker shed ordinary traffic."""
        self._window_from, self._window_cpu, self._window_units = (
            self.clock(), self.cpu_clock(), 0)

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
        if self.room:
            self._serve_room()

    @property
    def room_wait_s(self) -> float:
        """The longest a request waits in the room: the latency budget, or ROOM_WAIT_S."""
        return self.budget_ms / 1000 if self.budget_ms else ROOM_WAIT_S

    @property
    def room_limit(self) -> int:
        """Units the waiting room holds at most: a share of the limit, at least one."""
        return max(1, self.limit // ROOM_SHARE)

    # ---------------------------------------------------------------- the waiting room

    def offer(self, ticket: Ticket) -> None:
        """Admit ``ticket`` now, let it wait in the room, or refuse it (or, in its place,
        the waiting ticket whose connection was admitted most recently)."""
        self.count("offered")
        if not self.room and self.acquire(ticket.units):
            self._started(ticket)
            return
        heapq.heappush(self.room, (ticket.key, ticket.seq, ticket))
        self.room_units += ticket.units
        while self.room_units > self.room_limit and self.room:
            worst = max(self.room)  # the last turn (seq is unique: tickets never compared)
            self.room.remove(worst)
            heapq.heapify(self.room)
            self.room_units -= worst[2].units
            self.pace(worst[2].refuse)
        self._serve_room()  # units may be free for it (a larger ticket waits ahead)
        if self.room and self._room_timer is None:
            self._room_timer = _call_later(self.room_wait_s, self._room_timeout)

    def _started(self, ticket: Ticket) -> None:
        self.count("admitted")
        ticket.start()

    def _room_timeout(self) -> None:
        """Every ``room_wait_s`` while the room holds tickets: all of them checked."""
        self._room_timer = None
        now = self.clock()
        kept = []
        for entry in self.room:
            ticket = entry[2]
            if self._gone(ticket, now):
                self.room_units -= ticket.units
            else:
                kept.append(entry)
        heapq.heapify(kept)
        self.room = kept
        self._serve_room()
        if self.room:
            self._room_timer = _call_later(self.room_wait_s, self._room_timeout)

    def _gone(self, ticket: Ticket, now: float) -> bool:
        """True for a ticket whose client left, or (refused here) one that waited longer
        than the latency budget: its answer would come too late."""
        if not ticket.alive():
            return True
        if now - ticket.arrived > self.room_wait_s:
            self.pace(ticket.refuse)
            return True
        return False

    def _serve_room(self) -> None:
        """Admit the waiting tickets while they fit, the least recently admitted connection
        first; a ticket at the head whose client left is dropped, one that waited too long
        refused. (Those behind it are checked by :meth:`_room_timeout`: a release, which
        calls this, then costs the head's check, not the whole room's.)"""
        now = self.clock()
        while self.room:
            ticket = self.room[0][2]
            if self._gone(ticket, now):
                heapq.heappop(self.room)
                self.room_units -= ticket.units
                continue
            if not self.acquire(ticket.units):
                break
            heapq.heappop(self.room)
            self.room_units -= ticket.units
            self._started(ticket)
        metrics.waiting(self.room_units, len(self.refusals))

    # ---------------------------------------------------------------- paced refusals

    def pace(self, refuse: Callable[[], None]) -> None:
        """Run ``refuse`` now if the refusal rate allows it, else when its turn comes (in
        order, within RETRY_AFTER_S at most)."""
        now = self.clock()
        if not self.refusal_ratio or (not self.refusals and self._take()) or len(
                self.refusals) >= REFUSALS_QUEUED_MAX:
            self.count("refused")
            refuse()
            return
        self.refusals.append((now, refuse))
        metrics.waiting(self.room_units, len(self.refusals))
        if self._pace_timer is None:
            self._pace_timer = _call_later(PACE_TICK_S, self._pace_tick)

    def _take(self) -> bool:
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def _pace_tick(self) -> None:
        self._pace_timer = None
        now = self.clock()
        swept = 0
        while self.refusals and swept < PACE_SWEEP_MAX and (
                self._take() or now - self.refusals[0][0] >= RETRY_AFTER_S):
            swept += 1
            self.count("refused")
            self.refusals.popleft()[1]()
        metrics.waiting(self.room_units, len(self.refusals))
        if self.refusals:
            self._pace_timer = _call_later(PACE_TICK_S, self._pace_tick)

    # ---------------------------------------------------------------- rates

    def count(self, what: str, n: int = 1) -> None:
        """Count an offered, admitted, completed or refused scoring request."""
        if self._rates_timer is None:  # the first event after a quiet spell opens a window
            self._rates_from = self.clock()
            self._rates_timer = _call_later(RATES_WINDOW_S, self._publish_rates)
        self.counts[what] += n
        self._rates_counts[what] += n
        metrics.admission_event(what, n)
        if what == "completed":  # goodput earns the refusals' share of the CPU
            self._tokens = min(PACE_BURST, self._tokens + n * self.refusal_ratio)

    def _publish_rates(self) -> None:
        now = self.clock()
        seconds = max(now - self._rates_from, 1e-9)
        metrics.admission_rates({k: self._rates_counts[k] / seconds for k in ADMISSION_EVENTS})
        busy = any(self._rates_counts.values())
        self._rates_counts.clear()
        self._rates_from = now
        # One more window after the last event, so the rates fall back to zero.
        self._rates_timer = _call_later(RATES_WINDOW_S, self._publish_rates) if busy else None

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
        if self._slot_taken or self._waiters:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed the slot: pass it on
                    self._hand_over()
                raise
        self._slot_taken = True

    def end_work(self, units: int) -> None:
        """The work holding the slot is done (``units``: real units of work it did)."""
        self._measure(units)
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

    def _measure(self, units: int) -> None:
        """Count ``units`` done; at a window's end, the worker's CPU time per unit."""
        self._window_units += units
        now = self.clock()
        # Measured with or without a budget: the metric helps to choose a fixed limit too.
        if self._window_units >= WINDOW_MIN_UNITS and now - self._window_from >= WINDOW_S:
            cpu = self.cpu_clock()
            own_ms = 1000 * (cpu - self._window_cpu) / self._window_units
            # The first measurement replaces the initial guess outright: smoothed from a
            # guess far above a single score's cost, a fresh worker would refuse ordinary
            # traffic for many windows.
            self.unit_ms += (SMOOTHING if self._measured else 1.0) * (own_ms - self.unit_ms)
            self._measured = True
            self._window_from, self._window_cpu, self._window_units = now, cpu, 0
            self.limit = self._derive_limit()
            metrics.in_flight_limit(self.limit, self.unit_ms)

    def _derive_limit(self) -> int:
        if not self.max_units or not self.budget_ms:
            return self.max_units
        return min(max(1, int(self.budget_ms / self.unit_ms) - 1), self.max_units)


ADMISSION_EVENTS = ("offered", "admitted", "completed", "refused")


def _call_later(delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle | None:
    try:
        return asyncio.get_running_loop().call_later(delay, callback)
    except RuntimeError:  # no running loop (a direct call in a test): nothing to schedule
        return None


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
            self.admission.count("completed")
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


class DeadlineHeaderError(UsageError):
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


def content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The ``Content-Length`` a request announces (``None``: none, or not a number)."""
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
        # From the headers' arrival, the time in the waiting room included.
        arrived = scope.get(SCOPE_ARRIVED) or time.perf_counter()
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
        own = charged is None
        if own:  # not admitted by the HTTP protocol: admit here (no room, no pacing)
            charged = held = admission.cost(batch, length)
            admission.count("offered")
            if not admission.acquire(held):
                admission.count("refused")
                metrics.shed(route)
                await _send_error(send, _overloaded())
                return
            admission.count("admitted")
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

        scope[SCOPE_WORK_DONE] = end_work
        try:
            await self.app(scope, receive_checked, send_ended)
        finally:
            end_work()
            if own:
                admission.count("completed")
            if held:
                admission.release(held)


def work_done(scope: Any) -> None:
    """The request's work is done, what remains is waiting: free the work slot now (once;
    a no-op outside the middleware)."""
    end = scope.get(SCOPE_WORK_DONE)
    if end is not None:
        end()


def _overloaded() -> HTTPException:
    return _error(503, OVERLOADED_DETAIL, retry=True)


def _expired(deadline_ms: float, why: str) -> HTTPException:
    return _error(503, f"deadline exceeded: X-Request-Timeout-Ms {deadline_ms:g} {why} "
                  "(nothing was scored)", retry=True)
