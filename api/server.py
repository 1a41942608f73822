"""uvicorn's HTTP protocols with a deadline on a request's head (slowloris defence).

uvicorn bounds the idle time between requests (``--timeout-keep-alive``) and the size of
an incomplete request head (h11: ``h11_max_incomplete_event_size``, 16 KiB), but not the
time a client may take to send the head: the keep-alive timer is cancelled by the first
byte, so a client sending one header byte every few seconds holds a connection forever.
These protocols close a connection whose request head is not complete
``SCORECARD_HEADER_TIMEOUT_S`` seconds (default 10) after its first byte, and bound a fresh
connection that sends nothing by the keep-alive timeout. The body's deadline is the ASGI
middleware's (:class:`api.access_log.AccessMiddleware`, ``SCORECARD_BODY_TIMEOUT_S``).

Use: ``uvicorn --http api.server:TimedHttpToolsProtocol ...`` (the Dockerfile's CMD and
``scorecard serve``: httptools, uvicorn's fast parser, which also refuses unknown methods
with 400) or ``api.server:TimedH11Protocol`` (pure Python).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings

HTTP_PROTOCOL = "api.server:TimedHttpToolsProtocol"


class _HeadDeadline:
    """The timer shared by both protocols: armed at a head's first byte, disarmed when the
    head is complete, closing the connection if it fires first."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    logger: Any
    timeout_keep_alive: int

    def _init_deadline(self) -> None:
        self.header_timeout_s = Settings.from_env(os.environ).header_timeout_s
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
        """:class:`HttpToolsProtocol` plus the head deadline (module docstring)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._init_deadline()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_idle()

        def data_received(self, data: bytes) -> None:
            self._head_bytes_arrived()
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._head_complete()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            self._in_head = True  # the next bytes are the next request's head
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            super().connection_lost(exc)
