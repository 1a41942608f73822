"""uvicorn's HTTP protocols with a deadline on a request's head (slowloris defence), and
the early refusal of scoring requests beyond the worker's in-flight limit.

uvicorn bounds the idle time between requests (``--timeout-keep-alive``) and the size of
an incomplete request head (h11: ``h11_max_incomplete_event_size``, 16 KiB), but not the
time a client may take to send the head: the keep-alive timer is cancelled by the first
byte, so a client sending one header byte every few seconds holds a connection forever.
These protocols close a connection whose request head is not complete
``SCORECARD_HEADER_TIMEOUT_S`` seconds (default 10) after its first byte, and bound a fresh
connection that sends nothing by the keep-alive timeout. The body's deadline is the ASGI
middleware's (:class:`api.access_log.AccessMiddleware`, ``SCORECARD_BODY_TIMEOUT_S``).

**Early refusal** (:class:`TimedHttpToolsProtocol`). A ``POST`` to a scoring route is
admitted against the worker's :class:`~api.overload.Admission` as soon as its headers are
parsed. Admitted, its units are held until its ASGI task ends (the app's middleware then
admits nothing twice). Refused, it never becomes a task: the protocol writes the same 503
the middleware would (``Retry-After``, ``X-Request-ID``, the JSON error body) from
pre-encoded bytes, then reads and discards the body as it arrives, keeping the connection
(closing with unread data would make the kernel reset it, and the client could lose the
503). The connection is closed after the 503 only when the client asked for that, when it
waits for ``100 Continue`` (its body never comes), when the declared body exceeds
``SCORECARD_MAX_BODY_BYTES`` or the discarded bytes do, or when the body is not complete
within ``SCORECARD_BODY_TIMEOUT_S``.

Use: ``uvicorn --http api.protocols:TimedHttpToolsProtocol ...`` (the Dockerfile's CMD and
``scorecard serve``: httptools, uvicorn's fast parser, which also refuses unknown methods
with 400) or ``api.protocols:TimedH11Protocol`` (pure Python, no early refusal: the
middleware refuses).
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api import overload
from api.access_log import new_request_id
from api.settings import Settings

HTTP_PROTOCOL = "api.protocols:TimedHttpToolsProtocol"


@functools.cache
def _settings() -> Settings:
    """The worker's settings, read once (not on every connection)."""
    return Settings.from_env(os.environ)


class _HeadDeadline:
    """The timer shared by both protocols: armed at a head's first byte, disarmed when the
    head is complete, closing the connection if it fires first."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    logger: Any
    timeout_keep_alive: int

    def _init_deadline(self) -> None:
        self.header_timeout_s = _settings().header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None
        self._in_head = True

    def _arm_idle(self) -> None:
        # A connection that never sends a byte is idle: the keep-alive bound applies.
        self.timeout_keep_alive_task = self.loop.call_later(  # type: ignore[attr-defined]
            self.timeout_keep_alive, self.timeout_keep_alive_handler)  # type: ignore[attr-defined]

    def _head_bytes_arrived(self) -> None:
        if self._in_head and self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s,
                                                      self._header_timeout)

    def _head_complete(self) -> None:
        self._in_head = False
        self._disarm_header_timer()

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self._in_head and not self.transport.is_closing():
            self.logger.info("closing a connection whose request head took over %gs",
                             self.header_timeout_s)
            self.transport.close()


class TimedH11Protocol(_HeadDeadline, H11Protocol):
    """:class:`H11Protocol` plus the head deadline (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_deadline()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        self._in_head = self.conn.their_state is h11.IDLE
        self._head_bytes_arrived()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is in the runtime lock
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if HttpToolsProtocol is not None:

    class TimedHttpToolsProtocol(_HeadDeadline, HttpToolsProtocol):  # type: ignore[misc,valid-type]
        """:class:`HttpToolsProtocol` plus the head deadline and the early refusal (module
        docstring)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_deadline()
            self._draining: Any = None  # the refused request whose body is being discarded
            self._drained = 0
            self._drain_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_idle()

        def data_received(self, data: bytes) -> None:
            self._head_bytes_arrived()
            super().data_received(data)
            if self._draining is not None and self._drain_timer is None:
                # A refused body that did not arrive whole with its headers: bounded in time.
                self._drain_timer = self.loop.call_later(_settings().body_timeout_s,
                                                         self._drain_timeout)

        def on_headers_complete(self) -> None:
            self._head_complete()
            super().on_headers_complete()

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            # uvicorn calls this once per request, when it is to run (after its headers, or
            # after the previous pipelined response): admit it here or refuse it.
            admission = overload.installed()
            scope = cycle.scope
            if admission is not None and scope["method"] == "POST":
                batch = overload.SCORING_ROUTES.get(scope["path"])
                if batch is not None:
                    units = admission.cost(batch, overload.content_length(scope["headers"]))
                    if not admission.acquire(units):
                        self._refuse(cycle, scope["path"])
                        return
                    scope[overload.SCOPE_ADMITTED] = units
                    app = overload.Held(app, admission, units)
            super()._start_asgi_task(cycle, app)

        def _refuse(self, cycle: Any, route: str) -> None:
            """Answer 503 without running the app; discard the body (module docstring)."""
            start = time.perf_counter()
            headers = cycle.scope["headers"]
            length = overload.content_length(headers)
            # Closed at once: a client waiting for 100 Continue sends no body, and a body
            # over the limit is not worth reading.
            close_now = cycle.waiting_for_100_continue or (
                length is not None and length > _settings().max_body_bytes)
            keep = cycle.keep_alive and not close_now
            request_id = new_request_id(headers).encode()
            head = [b"HTTP/1.1 503 Service Unavailable\r\n"]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [_REFUSAL_HEADERS, request_id, b"\r\n",
                     b"\r\n" if keep else b"connection: close\r\n\r\n",
                     overload.OVERLOADED_BODY]
            self.transport.write(b"".join(head))
            cycle.response_started = cycle.response_complete = True  # uvicorn drops the body
            cycle.keep_alive = keep
            cycle.waiting_for_100_continue = False
            overload.refused_early(route, time.perf_counter() - start)
            if close_now:
                self.transport.close()
            elif cycle is self.cycle and cycle.more_body:  # its body is still to come
                self._draining, self._drained = cycle, 0
            else:  # a pipelined request, read whole already
                self._refused_done(cycle)

        def _refused_done(self, cycle: Any) -> None:
            if cycle.keep_alive:
                cycle.on_response()  # uvicorn's end of a response: next request, keep-alive
            else:
                self.transport.close()

        def on_body(self, body: bytes) -> None:
            if self._draining is not None and self._draining is self.cycle:
                self._drained += len(body)
                if self._drained > _settings().max_body_bytes:
                    self._stop_draining()
                    self.transport.close()
                return
            super().on_body(body)

        def on_message_complete(self) -> None:
            cycle = self._draining
            if cycle is not None and cycle is self.cycle:
                self._stop_draining()
                self._refused_done(cycle)
                return
            super().on_message_complete()

        def _drain_timeout(self) -> None:
            self._drain_timer = None
            if self._draining is not None and not self.transport.is_closing():
                self.logger.info("closing a connection whose refused request's body took "
                                 "over %gs", _settings().body_timeout_s)
                self._draining = None
                self.transport.close()

        def _stop_draining(self) -> None:
            self._draining = None
            if self._drain_timer is not None:
                self._drain_timer.cancel()
                self._drain_timer = None

        def on_response_complete(self) -> None:
            self._in_head = True  # the next bytes are the next request's head
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            self._stop_draining()
            super().connection_lost(exc)


_REFUSAL_HEADERS = (f"content-type: application/json\r\ncontent-length: "
                    f"{len(overload.OVERLOADED_BODY)}\r\nretry-after: {overload.RETRY_AFTER_S}"
                    "\r\nx-request-id: ").encode()
