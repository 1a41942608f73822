"""Structured JSON logs and the access middleware (request id, access log, metrics).

One JSON object per line on stdout, e.g.::

    {"ts":"2025-01-01T12:00:00.000123+00:00","level":"info","logger":"scorecard.access",
     "event":"request","method":"POST","path":"/v1/score","route":"/v1/score","status":200,
     "duration_ms":0.412,"request_id":"5f0c..."}

Access logs carry no applicant data: no bodies, no query strings, no header values besides the
request id. Server errors log the exception type and stack, not its message (a message may
quote a value).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import Any

import msgspec

from api import prometheus as metrics

ACCESS = logging.getLogger("scorecard.access")
ERRORS = logging.getLogger("scorecard.error")
REQUEST_ID_HEADER = b"x-request-id"
SCOPE_REQUEST_ID = "scorecard.request_id"
UNMATCHED = "<unmatched>"  # route label of 404/405 responses (bounded metric cardinality)
# An incoming id is echoed only if harmless: short, no spaces, no control characters.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
_encode = msgspec.json.Encoder().encode


class JsonFormatter(logging.Formatter):
    """``record.msg`` is a dict of fields; adds ts, level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "level": record.levelname.lower(), "logger": record.name, **fields}
        return _encode(line).decode()


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``scorecard`` loggers to stdout as JSON (idempotent)."""
    root = logging.getLogger("scorecard")
    if any(getattr(h, "_scorecard_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._scorecard_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def new_request_id(headers: list[tuple[bytes, bytes]] | None = None) -> str:
    """The caller's ``X-Request-ID`` when it is safe to echo, else a fresh random id."""
    for name, value in headers or ():
        if name == REQUEST_ID_HEADER:
            if _SAFE_ID.match(value):
                return value.decode()
            break
    return os.urandom(12).hex()


def access_log(method: str, path: str, route: str, status: int, duration_s: float,
               request_id: str) -> None:
    """Log and count one finished request."""
    metrics.observe(method, route, status, duration_s)
    if ACCESS.isEnabledFor(logging.INFO):
        ACCESS.info({"event": "request", "method": method, "path": path, "route": route,
                     "status": status, "duration_ms": round(duration_s * 1000, 3),
                     "request_id": request_id})


def log_exception(exc: BaseException, request_id: str | None, path: str) -> None:
    """A server error: type and stack only (the message may quote applicant data)."""
    ERRORS.error({"event": "unhandled_exception", "error_type": type(exc).__name__,
                  "stack": "".join(traceback.format_tb(exc.__traceback__)),
                  "path": path, "request_id": request_id})


class AccessMiddleware:
    """Pure ASGI middleware around every routed request: assigns the request id (echoed in
    ``X-Request-ID``), times the request to the last byte, logs and counts it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = new_request_id(scope["headers"])
        scope[SCOPE_REQUEST_ID] = request_id
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            access_log(scope["method"], scope["path"], scope.get("path_template") or UNMATCHED,
                       status, time.perf_counter() - start, request_id)
