"""Prometheus metrics (prometheus_client).

Request count and latency by method, route template and status class; client disconnects;
applicants scored; the served model; the scored population per score band, grade and
characteristic bin (:class:`Population`, what ``scorecard monitor --metrics`` turns into
PSI/CSI without applicant data; a single score's counts reach them at the worker's next
scrape or within :data:`FLUSH_EVERY_S`). Every label comes from a closed set, so no client can
grow the exposition: the method is one of :data:`METHODS` or ``other``, the route a route
template or ``unmatched``, the status its class (``2xx`` ... ``5xx``). Metrics live in the
process-wide default registry (one set per process, shared by every app built in it).

Several uvicorn workers are separate processes, each with its own counters: a scrape of
``/metrics`` would hit one worker at random. ``scorecard serve --workers N`` (N > 1) therefore
sets ``PROMETHEUS_MULTIPROC_DIR`` to a fresh directory before the workers start, and this
module then serves the aggregate of all workers (prometheus_client's multiprocess mode; the
variable must be set before ``prometheus_client`` is first imported). A plain
``uvicorn --workers N`` (the Dockerfile's CMD) does not set it: set it in the environment to
an empty writable directory (e.g. on the ``/tmp`` tmpfs), or run one worker per task.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import Counter as Counter_
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from scorecard import settings

MULTIPROCESS = bool(settings.PROMETHEUS_MULTIPROC_DIR.read())

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("scorecard_http_requests", "HTTP requests by method, route and status "
                   "class.", ["method", "route", "status"])
LATENCY = Histogram(
    "scorecard_http_request_duration_seconds",
    "Time from the request reaching the app to the last response byte sent.",
    ["method", "route", "status"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
             10.0),
)
DISCONNECTS = Counter("scorecard_http_client_disconnects", "Requests whose client left "
                      "before the response started (logged as status 499).", ["route"])
SCORED = Counter("scorecard_applicants_scored", "Applicants scored, by endpoint.",
                 ["endpoint"])
MODEL = Gauge("scorecard_model_info", "The served card (value 1; 0 once replaced).",
              ["model_id", "content_hash"], multiprocess_mode="max")
# The registry (api.live): the challengers scored in shadow.
CHALLENGER = Gauge("scorecard_challenger_info", "A challenger card scored in shadow beside "
                   "every answer (value 1; 0 once it no longer is).",
                   ["model_id", "content_hash"], multiprocess_mode="max")
SWAPS = Counter("scorecard_registry_swaps", "Times this worker switched its live cards to "
                "follow the registry.")
# The decision log (api.decisions).
LOGGED = Counter("scorecard_decisions_logged", "Decision records committed to the decision "
                 "log.")
COMMIT_SECONDS = Histogram("scorecard_decision_log_commit_seconds", "Time of one group "
                           "commit of the decision log.",
                           buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                    0.25, 0.5, 1.0, 2.5))
UNLOGGED = Counter("scorecard_decisions_unlogged", "Answers whose record was NOT committed "
                   "(503 unless SCORECARD_DECISION_LOG_REQUIRED=0, then answered without "
                   "a record), by reason: error, deadline, backlog.", ["reason"])
# Human oversight (api.decisions): the switch, and the declines it turned into referrals.
AUTOMATED_DECLINES = Gauge("scorecard_automated_declines", "1: the policy declines; 0: "
                           "SCORECARD_AUTOMATED_DECLINES=off, every decline of the card is "
                           "referred to a person.", multiprocess_mode="min")
DECLINES_REFERRED = Counter("scorecard_declines_referred", "Declines of the card answered "
                            "as referrals because automated declines are off.")
OVERRIDES = Counter("scorecard_decision_overrides", "Reviewers' overrides made through this "
                    "service, by the new decision.", ["decision"])
# The log's own counts, read at each scrape (every worker and task sees the same log).
OVERSIGHT = {
    "decisions": ("scorecard_oversight_decisions", "Decisions in the decision log."),
    "referred": ("scorecard_oversight_referred", "Decisions in the log answered refer."),
    "referred_declines": ("scorecard_oversight_referred_declines", "Referrals in the log "
                          "the card had declined (automated declines off)."),
    "overridden": ("scorecard_oversight_overridden", "Decisions in the log a reviewer "
                   "overrode."),
    "open_referrals": ("scorecard_referral_backlog", "Referrals in the log no reviewer has "
                       "resolved yet (the referral queue)."),
}
# Load shedding (api.overload).
SHED = Counter("scorecard_shed", "Scoring requests refused with 503 because the worker's "
               "in-flight limit was reached.", ["route"])
DEADLINE_EXPIRED = Counter("scorecard_deadline_expired", "Scoring requests refused with 503 "
                           "because their X-Request-Timeout-Ms passed before the work "
                           "started.", ["route"])
ADMISSION = Counter("scorecard_scoring_requests", "Scoring requests by admission stage: "
                    "offered (arrived), admitted (ran), completed (admitted and answered), "
                    "refused (503, overloaded).", ["stage"])
ADMISSION_RATES = Gauge("scorecard_scoring_requests_per_second", "Scoring requests per "
                        "second by admission stage over the last second (summed over "
                        "workers): completed is the goodput.", ["stage"],
                        multiprocess_mode="livesum")
WAITING = Gauge("scorecard_waiting_units", "Units of scoring work waiting for admission in "
                "the waiting room (summed over workers).", multiprocess_mode="livesum")
REFUSALS_WAITING = Gauge("scorecard_refusals_waiting", "Refused requests whose 503 waits for "
                         "its turn (paced refusals; summed over workers).",
                         multiprocess_mode="livesum")
IN_FLIGHT = Gauge("scorecard_in_flight_units", "Units of scoring work in flight (summed "
                  "over workers).", multiprocess_mode="livesum")
IN_FLIGHT_LIMIT = Gauge("scorecard_in_flight_limit_units", "Units of scoring work admitted "
                        "at most at once (summed over workers; 0: no limit).",
                        multiprocess_mode="livesum")
UNIT_SECONDS = Gauge("scorecard_unit_service_seconds", "Measured busy time per unit of "
                     "scoring work, that sizes the in-flight limit (the largest of the "
                     "workers').", multiprocess_mode="max")

# The scored population, labelled from the card only (a closed set): the band index and its
# score range from ``reference.score_bands``, the master-scale grade, the characteristic
# name and bin index (``unseen`` for a category the card never saw). ``model_id`` keeps the
# counts of two cards apart.
BANDS = Counter("scorecard_score_band_applicants", "Applicants scored, by score band of the "
                "card's reference (development deciles).", ["model_id", "band", "range"])
GRADES = Counter("scorecard_grade_applicants", "Applicants scored, by master-scale grade.",
                 ["model_id", "grade"])
BINS = Counter("scorecard_characteristic_bin_applicants", "Applicants scored, by "
               "characteristic and bin of the card.", ["model_id", "characteristic", "bin"])

# labels() costs a lock and a dict lookup; cache the children per label set (bounded: the
# labels are from closed sets).
_children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
_scored: dict[str, Counter] = {}


def status_class(status: int) -> str:
    """``2xx`` ... ``5xx`` (anything outside 100-599 counts as ``5xx``)."""
    return f"{status // 100}xx" if 100 <= status < 600 else "5xx"


def observe(method: str, route: str, status: int, seconds: float) -> None:
    """Record one finished request (``route``: the template, or ``unmatched``)."""
    key = (method if method in METHODS else "other", route, status_class(status))
    pair = _children.get(key)
    if pair is None:
        pair = _children[key] = (REQUESTS.labels(*key), LATENCY.labels(*key))
    pair[0].inc()
    pair[1].observe(seconds)
    if status == 499:
        DISCONNECTS.labels(route).inc()


def scored(endpoint: str, n: int) -> None:
    """Count ``n`` applicants scored by ``endpoint`` (``single`` or ``batch``)."""
    if n:
        child = _scored.get(endpoint)
        if child is None:
            child = _scored[endpoint] = SCORED.labels(endpoint)
        child.inc(n)


def _range(edges: list[float], b: int) -> str:
    lo = "-inf" if b == 0 else repr(float(edges[b - 1]))
    hi = "inf" if b == len(edges) else repr(float(edges[b]))
    return f"[{lo}, {hi})"


FLUSH_EVERY_S = 1.0  # at most this stale, a worker's population counters between scrapes
_counting: weakref.WeakSet[Population] = weakref.WeakSet()  # populations one() has counted in


class Population:
    """Counters of one card's scored applicants; every child created (at 0) up front, so a
    scrape lists the whole closed label set. ``None`` from :meth:`for_card` when the card has
    no ``reference`` (nothing to compare with)."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        from scorecard.card.artifact import band_index

        mid = artifact["model_id"]
        self.edges = [float(e) for e in artifact["reference"]["score_bands"]["edges"]]
        self._band_index = band_index
        self.bands = [BANDS.labels(mid, str(b), _range(self.edges, b))
                      for b in range(len(self.edges) + 1)]
        scale = artifact.get("master_scale") or {}
        self.grades = {g: GRADES.labels(mid, g) for g in scale.get("grades", [])}
        self.bins: list[dict[int, Counter]] = []
        for f in artifact["features"]:
            children = {int(b["index"]): BINS.labels(mid, f["name"], str(b["index"]))
                        for b in f["bins"]}
            if f["kind"] != "numeric":
                children[-1] = BINS.labels(mid, f["name"], "unseen")
            self.bins.append(children)
        self._children = [*self.bands, *self.grades.values(),
                          *(c for d in self.bins for c in d.values())]
        for child in self._children:
            child.inc(0)
        # What one() counts waits here, in plain integers (one lock, not one counter's lock
        # per characteristic), and reaches the counters at this worker's next scrape, its
        # shutdown or within FLUSH_EVERY_S, whichever comes first.
        # The bands come first, so a band's index is its place; grades and bins follow.
        at = iter(range(len(self.bands), len(self._children)))
        self._grade_at = {g: next(at) for g in self.grades}
        self._bin_at = [{b: next(at) for b in d} for d in self.bins]
        self._pending = [0] * len(self._children)
        self._due = False
        self._lock = threading.Lock()

    @classmethod
    def for_card(cls, artifact: dict[str, Any]) -> Population | None:
        return cls(artifact) if artifact.get("reference") else None

    def one(self, score: int, grade: str | None, bins: list[int]) -> None:
        """Count one scored applicant."""
        with self._lock:
            p = self._pending
            p[self._band_index(self.edges, score)] += 1
            if grade is not None:
                p[self._grade_at[grade]] += 1
            for at, b in zip(self._bin_at, bins, strict=True):
                p[at[b]] += 1
            if self._due:
                return
            self._due = True
        _counting.add(self)
        try:
            asyncio.get_running_loop().call_later(FLUSH_EVERY_S, self.flush)
        except RuntimeError:  # counted outside an event loop: no timer to wait for
            self.flush()

    def flush(self) -> None:
        """Add the counts :meth:`one` keeps to the counters."""
        with self._lock:
            pending, self._pending = self._pending, [0] * len(self._children)
            self._due = False
        for child, n in zip(self._children, pending, strict=True):
            if n:
                child.inc(n)

    def batch(self, scores: Any, grades: list[str | None], bins: Any) -> None:
        """Count a scored batch: ``scores`` (n,), ``grades`` n labels, ``bins`` (n, k)."""
        import numpy as np

        bands = np.searchsorted(np.asarray(self.edges), np.asarray(scores), side="right")
        for b, n in zip(*np.unique(bands, return_counts=True), strict=True):
            self.bands[int(b)].inc(int(n))
        for g, n in Counter_(grades).items():
            if g is not None:
                self.grades[g].inc(n)
        arr = np.asarray(bins)
        for j, children in enumerate(self.bins):
            for b, n in zip(*np.unique(arr[:, j], return_counts=True), strict=True):
                children[int(b)].inc(int(n))


def model_loaded(model_id: str, content_hash: str) -> None:
    MODEL.labels(model_id, content_hash).set(1)


def cards_live(champion: tuple[str, str], challengers: list[tuple[str, str]],
               before: tuple[tuple[str, str], list[tuple[str, str]]] | None) -> None:
    """The live cards as ``(model_id, content_hash)``: set to 1, those they replace (from
    ``before``) to 0."""
    if before is not None:
        MODEL.labels(*before[0]).set(0)
        for c in before[1]:
            CHALLENGER.labels(*c).set(0)
        SWAPS.inc()
    MODEL.labels(*champion).set(1)
    for c in challengers:
        CHALLENGER.labels(*c).set(1)


def flush_populations() -> None:
    """Add every count :meth:`Population.one` keeps to the counters (a scrape, a shutdown)."""
    for population in list(_counting):
        population.flush()


def render(oversight: dict[str, int] | None = None) -> tuple[bytes, str]:
    """The exposition text and its content type (all workers' in multiprocess mode), with
    the decision log's ``oversight`` counts (:meth:`DecisionStore.oversight`) when given."""
    flush_populations()
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if oversight is not None:
        text += generate_latest(_OversightCollector(oversight))
    return text, CONTENT_TYPE_LATEST


class _OversightCollector:
    """The log's oversight counts as gauges, and the override rate."""

    def __init__(self, figures: dict[str, int]) -> None:
        self.figures = figures

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        for key, (name, text) in OVERSIGHT.items():
            yield GaugeMetricFamily(name, text, value=self.figures[key])
        n = self.figures["decisions"]
        yield GaugeMetricFamily("scorecard_override_rate", "Share of the log's decisions a "
                                "reviewer overrode (0 without decisions).",
                                value=self.figures["overridden"] / n if n else 0.0)


def overridden(decision: str) -> None:
    OVERRIDES.labels(decision).inc()


def automated_declines(on: bool) -> None:
    AUTOMATED_DECLINES.set(1 if on else 0)


def declines_referred(n: int) -> None:
    if n:
        DECLINES_REFERRED.inc(n)


def decisions_logged(n: int, seconds: float) -> None:
    LOGGED.inc(n)
    COMMIT_SECONDS.observe(seconds)


def decisions_unlogged(reason: str, n: int) -> None:
    UNLOGGED.labels(reason).inc(n)


def shed(route: str) -> None:
    SHED.labels(route).inc()


def deadline_expired(route: str) -> None:
    DEADLINE_EXPIRED.labels(route).inc()


def in_flight(units: int) -> None:
    IN_FLIGHT.set(units)


def in_flight_limit(units: int, unit_ms: float) -> None:
    IN_FLIGHT_LIMIT.set(units)
    UNIT_SECONDS.set(unit_ms / 1000)


_admission: dict[str, Counter] = {}


def admission_event(stage: str, n: int = 1) -> None:
    child = _admission.get(stage)
    if child is None:
        child = _admission[stage] = ADMISSION.labels(stage)
    child.inc(n)


def admission_rates(rates: dict[str, float]) -> None:
    for stage, rate in rates.items():
        ADMISSION_RATES.labels(stage).set(round(rate, 3))


def waiting(units: int, refusals: int) -> None:
    WAITING.set(units)
    REFUSALS_WAITING.set(refusals)
