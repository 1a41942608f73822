"""Structured JSON logs and the access middleware (request id, access log, metrics).

One JSON object per line on stdout (the lines of one event-loop turn in one write:
:class:`TurnHandler`), e.g.::

    {"ts":"2025-01-01T12:00:00.000123Z","level":"info","logger":"scorecard.access",
     "event":"request","method":"POST","path":"/v1/score","route":"/v1/score","status":200,
     "duration_ms":0.412,"request_id":"5f0c..."}

Access logs carry no applicant data: no bodies, no query strings, no header values besides the
request id. Server errors log the exception type and stack, not its message (a message may
quote a value).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

import msgspec
from litestar.exceptions import HTTPException

from api import prometheus as metrics
from scorecard.data.decision_log import utc_now

ACCESS = logging.getLogger("scorecard.access")
ERRORS = logging.getLogger("scorecard.error")
REQUEST_ID_HEADER = b"x-request-id"
SCOPE_REQUEST_ID = "scorecard.request_id"
SCOPE_DISCONNECTED = "scorecard.disconnected"  # the client left before the response began
UNMATCHED = "unmatched"  # route of 404/405 responses (bounded metric cardinality)
CLIENT_CLOSED_REQUEST = 499
# An incoming id is echoed only if harmless: short, no spaces, no control characters.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")
_encode = msgspec.json.Encoder().encode


class JsonFormatter(logging.Formatter):
    """``record.msg`` is a dict of fields; adds ts, level and logger."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        line = {"ts": utc_now(int(record.created * 1e9)),
                "level": record.levelname.lower(), "logger": record.name, **fields}
        return _encode(line).decode()


class TurnHandler(logging.StreamHandler):
    """A stream handler that writes the lines emitted during one event-loop turn at once.

    Every request logs a line: written one by one, each costs a system call (stdout is a
    pipe in a container). Lines emitted in a running event loop are kept and written by
    one call at the end of the turn (:meth:`flush`, scheduled with ``call_soon``), so they
    reach the stream within the turn that made them; lines from elsewhere (another thread,
    no loop) are written at once. ``logging.shutdown`` flushes what is kept."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._kept: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.stream.write(line + self.terminator)
                self.stream.flush()
                return
            self._kept.append(line)
            if len(self._kept) == 1:
                loop.call_soon(self.flush)
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._kept:
                text = self.terminator.join(self._kept) + self.terminator
                self._kept.clear()
                self.stream.write(text)
            self.stream.flush()


def configure_logging(level: int = logging.INFO) -> None:
    """Send the ``scorecard`` loggers to stdout as JSON (idempotent).

    Every request logs a line, so the record's fields no line shows are not gathered (the
    logging HOWTO's "Optimization": the caller's file and line, thread and process names;
    a server error's line carries its own stack)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger("scorecard")
    if any(getattr(h, "_scorecard_json", False) for h in root.handlers):
        return
    handler = TurnHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._scorecard_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def new_request_id(headers: Iterable[tuple[bytes, bytes]] | None = None) -> str:
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
    ``X-Request-ID``), bounds the time to receive the body, times the request to the last
    byte, logs and counts it.

    A HEAD response never carries a body (the headers are the GET's). A client that
    disconnects before the response starts is recorded as 499 (never 500). A
    body not fully received within ``body_timeout_s`` of the request's start gets 408 (the
    server then closes the connection: a slow-body client cannot hold it).
    """

    body_timeout_s: float = math.inf

    def __init__(self, app: Any) -> None:
        self.app = app

    @classmethod
    def configured(cls, body_timeout_s: float) -> type[AccessMiddleware]:
        """This middleware with a body-read deadline of ``body_timeout_s`` seconds."""
        return type(cls.__name__, (cls,), {"body_timeout_s": body_timeout_s})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        # The loop's own timeout (not anyio's cancel scope): it wraps every receive of
        # every request, and the asyncio one costs a fraction as much.
        deadline = (asyncio.get_running_loop().time() + self.body_timeout_s
                    if math.isfinite(self.body_timeout_s) else None)
        request_id = new_request_id(scope["headers"])
        scope[SCOPE_REQUEST_ID] = request_id
        header = (REQUEST_ID_HEADER, request_id.encode())
        status: int | None = None
        body_done = False
        head = scope["method"] == "HEAD"

        async def receive_wrapper() -> Any:
            nonlocal body_done
            if body_done:  # after the body, receive only waits for a disconnect
                message = await receive()
            else:
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise HTTPException(status_code=408, detail=(
                        f"the request body was not received within {self.body_timeout_s:g} "
                        "s")) from None
                body_done = message["type"] == "http.request" and not message.get(
                    "more_body", False)
            if message["type"] == "http.disconnect" and status is None:
                scope[SCOPE_DISCONNECTED] = True
            return message

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            if status is None:
                status = CLIENT_CLOSED_REQUEST if scope.get(SCOPE_DISCONNECTED) else 500
            access_log(scope["method"], scope["path"], scope.get("path_template") or UNMATCHED,
                       status, time.perf_counter() - start, request_id)
