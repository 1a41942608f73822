"""Prometheus metrics (prometheus_client).

Request count and latency by method, route template and status class; client disconnects;
applicants scored; the served model. Every label comes from a closed set, so no client can
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

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

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
MODEL = Gauge("scorecard_model_info", "The served card (value 1).", ["model_id", "content_hash"],
              multiprocess_mode="max")
# Load shedding (api.overload).
SHED = Counter("scorecard_shed", "Scoring requests refused with 503 because the worker's "
               "in-flight limit was reached.", ["route"])
DEADLINE_EXPIRED = Counter("scorecard_deadline_expired", "Scoring requests refused with 503 "
                           "because their X-Request-Timeout-Ms passed before the work "
                           "started.", ["route"])
IN_FLIGHT = Gauge("scorecard_in_flight_units", "Units of scoring work in flight (summed "
                  "over workers).", multiprocess_mode="livesum")

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


def model_loaded(model_id: str, content_hash: str) -> None:
    MODEL.labels(model_id, content_hash).set(1)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type (all workers' in multiprocess mode)."""
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def shed(route: str) -> None:
    SHED.labels(route).inc()


def deadline_expired(route: str) -> None:
    DEADLINE_EXPIRED.labels(route).inc()


def in_flight(units: int) -> None:
    IN_FLIGHT.set(units)
