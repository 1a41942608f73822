"""The probes' answers, and the probe port: ``/health`` and ``/ready`` answered apart.

:func:`readiness` is the one definition of ``/ready`` (the API's :class:`ProbeController`
and the probe port answer it alike).

**Why a port of its own** (``SCORECARD_PROBE_PORT``). Under a flood, a probe sent to the
API's port queues behind every connection that arrived before it: first in the kernel's
accept queue, then in the event-loop turns that accept, parse and refuse them. It can take
a few hundred milliseconds although the worker is healthy, and a load balancer that times
it out takes a working target out of service exactly when capacity is short
(``scripts/wrk_overload.py`` prints the probe latency under each phase). A thread of the
worker does not fix that: it must win the interpreter lock from the busy event loop for
every call it makes, and its answers then take tens of milliseconds. So each worker starts a
small process of its own (:mod:`api.probe_process`, standard library only) that answers on
the probe port from the state the worker publishes; each worker binds the port with
``SO_REUSEPORT``, so the kernel spreads probes over the workers as it spreads API
connections.

**Liveness still means the event loop turns.** The worker's event loop publishes its
``/ready`` answer :data:`BEATS_PER_STALL` times per :data:`STALL_S`; when the last one is
older than :data:`STALL_S`, the loop is stuck and both probes answer 503. The process ends
when its worker does (its input closes), and the worker starts it again should it die.

The probe port is bound on every interface (as the image binds the API's), serves nothing
but ``GET`` of the two probes (404 or 405 otherwise), logs nothing (the load balancer probes
every few seconds; the API port's probes are in the access log), and answers one request
per connection, then closes it, as load balancers probe.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import subprocess  # nosec B404 - starts this interpreter on a module of ours, no shell
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec

from api.decisions import DecisionRecorder
from api.responses import Ready
from api.service import ScoringService

STALL_S = 5.0  # a loop not stamping for this long is stuck: /health 503 on the probe port
BEATS_PER_STALL = 5  # heartbeats in stall_s: one late beat is not yet a stall
# The load balancer reaches the task on its own address; who may connect is the security
# group's (infra/): the API port is bound the same way (uvicorn --host 0.0.0.0).
ALL_INTERFACES = "0.0.0.0"  # nosec B104
BACKLOG = 64
STOP_WAIT_S = 2.0  # most seconds the probe process takes to exit at its end of input
# Run by its path in isolated mode: it needs nothing of the worker's environment or packages.
PROCESS = Path(__file__).with_name("probe_process.py")

_encode = msgspec.json.Encoder().encode
_log = logging.getLogger("scorecard.probes")


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
    """The worker's probe port: ``GET /health`` and ``GET /ready`` answered by a process of
    its own (:mod:`api.probe_process`) from the state this worker publishes.

    Args:
        port: the TCP port, bound on ``host`` with ``SO_REUSEPORT`` (0: any free port, see
            :attr:`port`).
        ready: the current ``/ready`` answer (:func:`readiness` of the live service).
        host: the address to bind.
        stall_s: seconds without a heartbeat after which the probes answer 503.

    The socket is bound here, so a port that cannot be used fails the worker's start-up.
    :meth:`start` (in the worker's event loop) starts the process and the heartbeat, which
    publishes :attr:`ready`'s answer :data:`BEATS_PER_STALL` times per ``stall_s`` and starts
    the process again should it have died; :meth:`close` publishes a last answer and ends it.
    """

    def __init__(self, port: int, ready: Callable[[], tuple[int, Ready]],
                 host: str = ALL_INTERFACES, stall_s: float = STALL_S) -> None:
        self.ready = ready
        self.stall_s = stall_s
        self._listener = socket.create_server((host, port), backlog=BACKLOG, reuse_port=True)
        self.port: int = self._listener.getsockname()[1]
        self._process: subprocess.Popen[bytes] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Start the probe process and the heartbeat (in the running event loop)."""
        self._spawn()
        self._beat(asyncio.get_running_loop())

    def _spawn(self) -> None:
        self._process = subprocess.Popen(  # nosec B603 - this interpreter, fixed arguments
            [sys.executable, "-I", str(PROCESS), "--fd", str(self._listener.fileno()),
             "--stall-s", repr(self.stall_s)],
            stdin=subprocess.PIPE, pass_fds=(self._listener.fileno(),))
        if self._process.stdin is not None:  # a pipe: never blocks the event loop
            os.set_blocking(self._process.stdin.fileno(), False)

    def publish(self) -> None:
        """Send the current ``/ready`` answer to the probe process (its heartbeat)."""
        process = self._process
        if process is None or process.stdin is None:
            return
        status, body = self.ready()
        with contextlib.suppress(BlockingIOError, BrokenPipeError):  # stuck or gone: see _beat
            os.write(process.stdin.fileno(), b"%d %s\n" % (status, _encode(body)))

    def _beat(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._process is not None and self._process.poll() is not None:
            _log.warning("the probe process exited with %s: starting it again",
                         self._process.returncode)
            self._spawn()
        self.publish()
        self._timer = loop.call_later(self.stall_s / BEATS_PER_STALL, self._beat, loop)

    async def close(self) -> None:
        """Publish the last answer (shutting down: not ready), end the process, close the
        port."""
        if self._timer is not None:
            self._timer.cancel()
        process = self._process
        if process is not None:
            self.publish()
            if process.stdin is not None:
                process.stdin.close()  # end of input: the process exits
            try:
                await asyncio.to_thread(process.wait, STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                await asyncio.to_thread(process.wait)
        self._listener.close()
