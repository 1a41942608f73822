"""uvicorn's h11 protocol with a deadline on a request's headers (slowloris defence).

uvicorn bounds the idle time between requests (``--timeout-keep-alive``) and the size of
an incomplete request head (``h11_max_incomplete_event_size``, 16 KiB), but not the time a
client may take to send the head: the keep-alive timer is cancelled by the first byte, so a
client sending one header byte every few seconds holds a connection forever. This protocol
closes a connection whose request head is not complete ``SCORECARD_HEADER_TIMEOUT_S``
seconds (default 10) after its first byte, and bounds a fresh connection that sends nothing
by the keep-alive timeout. The body's deadline is the ASGI middleware's
(:class:`api.access_log.AccessMiddleware`, ``SCORECARD_BODY_TIMEOUT_S``).

Use: ``uvicorn --http api.server:TimedH11Protocol ...`` (the Dockerfile's CMD and
``scorecard serve`` do).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.settings import Settings

HTTP_PROTOCOL = "api.server:TimedH11Protocol"


class TimedH11Protocol(H11Protocol):
    """:class:`H11Protocol` plus the header deadline (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = Settings.from_env(os.environ).header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is idle: the keep-alive bound applies.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                            self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        waiting_for_head = self.conn.their_state is h11.IDLE
        if waiting_for_head and self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s,
                                                      self._header_timeout)
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request head took over %gs",
                             self.header_timeout_s)
            self.transport.close()
