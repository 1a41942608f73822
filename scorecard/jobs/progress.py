"""Progress reporting for long commands: one line per step on stderr, with elapsed time."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Prints ``[  12.3s] step ...`` lines to stderr; silent when ``enabled`` is false."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._t0 = time.perf_counter()

    def say(self, message: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self._t0
            print(f"[{elapsed:7.1f}s] {message}", file=sys.stderr, flush=True)

    @contextmanager
    def step(self, message: str) -> Iterator[None]:
        """Announce ``message``, run the block, then report how long it took."""
        self.say(f"{message} ...")
        t = time.perf_counter()
        yield
        self.say(f"{message}: done in {time.perf_counter() - t:.1f}s")
