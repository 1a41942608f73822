"""The probe port's own process: answers ``GET /health`` and ``GET /ready`` from what its
worker last published (:class:`api.probes.ProbeServer` starts one per worker).

Run as ``python -I api/probe_process.py --fd N --stall-s S`` with the bound listening socket as
descriptor ``N`` and the worker's state on standard input: one line ``STATUS JSON`` per
heartbeat, the ``/ready`` answer at that moment. The worker's event loop writes those lines,
so a line older than ``S`` seconds means the loop is stuck: ``/health`` and ``/ready`` then
answer 503. End of input (the worker exited, however it died) ends this process.

The standard library only, and nothing of the worker's: it starts in milliseconds, holds a
few megabytes, and no interpreter lock is shared with the worker's event loop, so a flood on
the API port delays an answer only by the operating system's scheduling.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import signal
import socket
import sys
import time
from http import HTTPStatus

REQUEST_TIMEOUT_S = 5.0  # most seconds a probe connection may take to send its request
MAX_HEAD_BYTES = 8192  # a probe's request head; a longer one is answered from what came


class State:
    """The worker's last published ``/ready`` answer and when it arrived."""

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s
        self.ready: tuple[int, bytes] = (503, b'{"status":"not_ready","detail":"starting"}')
        self.beat_s = time.monotonic()
        self._partial = b""

    def feed(self, data: bytes) -> None:
        """Lines from the worker: the last complete one is the state."""
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            status, _, body = line.partition(b" ")
            if status.isdigit() and body:
                self.ready = (int(status), body)
                self.beat_s = time.monotonic()

    def stalled_s(self) -> float | None:
        """Seconds since the last line when that is more than ``stall_s``, else None."""
        late = time.monotonic() - self.beat_s
        return late if late > self.stall_s else None

    def answer(self, head: bytes) -> bytes:
        """The whole response (status line, headers, JSON body) to a request ``head``."""
        method, _, rest = head.partition(b" ")
        path = rest.partition(b" ")[0].partition(b"?")[0].decode("latin-1")
        stalled = self.stalled_s()
        if path not in ("/health", "/ready"):
            status, body = 404, b'{"detail":"not a probe: only /health and /ready"}'
        elif method != b"GET":
            status, body = 405, b'{"detail":"only GET"}'
        elif stalled is not None:
            status, body = 503, (b'{"status":"stalled: the event loop has not turned for '
                                 b'%.1f s"}' % stalled)
        elif path == "/health":
            status, body = 200, b'{"status":"ok"}'
        else:
            status, body = self.ready
        return (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
                "Connection: close\r\n\r\n").encode() + body


def serve(listener: socket.socket, state: State, source: int) -> None:
    """Answer probes on ``listener`` until ``source`` (the worker's lines) ends."""
    listener.setblocking(False)
    os.set_blocking(source, False)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(source, selectors.EVENT_READ)
    heads: dict[socket.socket, tuple[bytearray, float]] = {}  # connection: (head, deadline)

    def drop(conn: socket.socket) -> None:
        selector.unregister(conn)
        del heads[conn]
        conn.close()

    while True:
        events = selector.select(timeout=REQUEST_TIMEOUT_S / 4)
        # the worker's line first: a probe that arrives with it is answered from it
        events.sort(key=lambda event: event[0].fileobj != source)
        for key, _ in events:
            if key.fileobj == source:
                try:
                    data = os.read(source, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    return  # the worker is gone
                state.feed(data)
            elif key.fileobj is listener:
                with contextlib.suppress(OSError):  # nothing left to accept
                    conn, _ = listener.accept()
                    conn.setblocking(False)
                    selector.register(conn, selectors.EVENT_READ)
                    heads[conn] = (bytearray(), time.monotonic() + REQUEST_TIMEOUT_S)
            else:
                conn = key.fileobj  # type: ignore[assignment]
                try:
                    data = conn.recv(MAX_HEAD_BYTES)
                except OSError:
                    data = b""
                head = heads[conn][0]
                head += data
                if data and b"\r\n\r\n" not in head and len(head) < MAX_HEAD_BYTES:
                    continue  # the rest of the head is still to come
                if data:
                    with contextlib.suppress(OSError):  # the prober went away
                        conn.send(state.answer(bytes(head)))  # a few hundred bytes
                drop(conn)
        now = time.monotonic()
        for conn in [c for c, (_, deadline) in heads.items() if deadline < now]:
            drop(conn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="probe_process.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--fd", type=int, required=True, help="the bound listening socket")
    parser.add_argument("--stall-s", type=float, required=True,
                        help="seconds without a line after which the worker is stuck")
    args = parser.parse_args(argv)
    # Ctrl-C in a terminal or a stop signal sent to the whole process group: the worker
    # decides when this process ends (it closes the input once it has drained).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    serve(socket.socket(fileno=args.fd), State(args.stall_s), sys.stdin.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
