"""The probes' answers, and the probe port: ``/health`` and ``/ready`` served by a thread.

:func:`readiness` is the one definition of ``/ready`` (the API's :class:`ProbeController`
and the probe port answer it alike).

**Why a port of its own** (``SCORECARD_PROBE_PORT``). Under a flood, a probe sent to the
API's port queues behind every connection that arrived before it: first in the kernel's
accept queue, then in the event-loop turns that accept, parse and refuse them. It can take
a few hundred milliseconds although the worker is healthy, and a load balancer that times
it out takes a working target out of service exactly when capacity is short
(``scripts/wrk_overload.py`` prints the probe latency under each phase). On the probe port,
a thread of the worker answers: its connections never queue behind the API's, and it needs
the interpreter only for the moment an answer takes (the event loop yields it every
``sys.getswitchinterval()``). Each worker binds the port with ``SO_REUSEPORT``, so the
kernel spreads probes over the workers as it spreads API connections.

**Liveness still means the event loop turns.** A thread would answer even if the loop were
stuck in a call, so the loop stamps a heartbeat :data:`BEATS_PER_STALL` times per
:data:`STALL_S`, and ``/health`` on the probe port is 503 once the last stamp is older than
:data:`STALL_S`.

The probe port is bound on every interface (as the image binds the API's), serves nothing
but ``GET`` of the two probes (404 otherwise), logs nothing (the load balancer probes every few
seconds; the API port's probes are in the access log), and answers HTTP/1.0: one request
per connection, as load balancers probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec

from api.decisions import DecisionRecorder
from api.responses import Health, Ready
from api.service import ScoringService

STALL_S = 5.0  # a loop not stamping for this long is stuck: /health 503 on the probe port
BEATS_PER_STALL = 5  # heartbeats in stall_s: one late beat is not yet a stall
# The load balancer reaches the task on its own address; who may connect is the security
# group's (infra/): the API port is bound the same way (uvicorn --host 0.0.0.0).
ALL_INTERFACES = "0.0.0.0"  # nosec B104
REQUEST_TIMEOUT_S = 5.0  # most seconds a probe connection may take to send its request

_encode = msgspec.json.Encoder().encode


def readiness(service: ScoringService, recorder: DecisionRecorder | None) -> tuple[int, Ready]:
    """``/ready``'s status code and body: 200 once the card is loaded and verified; 503 while
    shutting down (the load balancer drains the task) or while the decision log fails and
    records are required."""
    if not service.ready:
        return 503, Ready("not_ready", detail="the service is shutting down")
    if recorder is not None and not recorder.ready:
        return 503, Ready("not_ready", detail="the decision log is unavailable")
    return 200, Ready("ready", service.model_id, service.content_hash)


class ProbeServer:
    """The worker's probe port: ``GET /health`` and ``GET /ready`` answered by a thread.

    Args:
        port: the TCP port, bound on ``host`` with ``SO_REUSEPORT`` (0: any free port, see
            :attr:`port`).
        ready: the current ``/ready`` answer (:func:`readiness` of the live service).
        host: the address to bind.
        stall_s: seconds without a heartbeat after which ``/health`` is 503.

    The socket is bound here, so a port that cannot be used fails the worker's start-up.
    :meth:`start` (in the worker's event loop) starts the heartbeat and the thread;
    :meth:`close` stops both.
    """

    def __init__(self, port: int, ready: Callable[[], tuple[int, Ready]],
                 host: str = ALL_INTERFACES, stall_s: float = STALL_S) -> None:
        self.ready = ready
        self.stall_s = stall_s
        self.beat_s = time.monotonic()
        self._server = _Server((host, port), _handler(self))
        self.port: int = self._server.server_address[1]
        self._thread: threading.Thread | None = None
        self._timer: asyncio.TimerHandle | None = None

    def health(self) -> tuple[int, Health]:
        """``/health``: 200 while the event loop has stamped its heartbeat in the last
        ``stall_s`` seconds."""
        stalled = time.monotonic() - self.beat_s
        if stalled > self.stall_s:
            return 503, Health(status=f"stalled: the event loop has not turned for "
                                      f"{stalled:.1f} s")
        return 200, Health(status="ok")

    def start(self) -> None:
        """Start the heartbeat (in the running event loop) and the serving thread."""
        self._beat(asyncio.get_running_loop())
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.2},
                                        name="scorecard-probes", daemon=True)
        self._thread.start()

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        self.beat_s = time.monotonic()
        self._timer = loop.call_later(self.stall_s / BEATS_PER_STALL, self._beat, loop)

    async def close(self) -> None:
        """Stop answering: the thread ends (within its poll interval) and the port is closed."""
        if self._timer is not None:
            self._timer.cancel()
        if self._thread is not None:
            await asyncio.to_thread(self._server.shutdown)
        self._server.server_close()


class _Server(http.server.ThreadingHTTPServer):
    allow_reuse_port = True
    daemon_threads = True


def _handler(probes: ProbeServer) -> type[http.server.BaseHTTPRequestHandler]:
    routes: dict[str, Callable[[], tuple[int, Any]]] = {"/health": probes.health,
                                                        "/ready": probes.ready}

    class Handler(http.server.BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT_S
        server_version = "scorecard-probes"
        sys_version = ""

        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._send(404, _encode({"detail": f"not a probe: {self.path[:100]}"}))
                return
            status, body = route()
            self._send(status, _encode(body))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response_only(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            with contextlib.suppress(OSError):  # the prober went away
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Nothing: probes are not logged (see the module's docstring)."""

    return Handler
