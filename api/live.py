"""The cards a worker serves, following the card registry (``SCORECARD_REGISTRY``).

:class:`LiveCards` loads the registry's champion (the service that answers) and its
challengers (scored beside it in shadow, :meth:`api.service.ScoringService.shadow_one`) at
start. A task in the worker's event loop re-reads the registry's live pointer every
``SCORECARD_REGISTRY_POLL_S`` seconds; when it moved, the new services are built off the
loop (the registry checks each card's bytes against its id) and published in one
assignment. A request takes the service once, when its handler starts, so it finishes on
the card it started with, and no request waits for a switch. A pointer that cannot be read
or a card that fails its check leaves the live cards as they are, logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import anyio

from api import prometheus as metrics
from api.service import ScoringService
from api.settings import ENV_REGISTRY, Settings, SettingsError
from scorecard.registry.lifecycle import Live, Registry

_log = logging.getLogger("scorecard.registry")


class LiveCards:
    """The worker's live champion (:attr:`service`, with its challengers) and the task that
    follows the registry."""

    def __init__(self, settings: Settings,
                 build: Callable[[dict[str, Any]], ScoringService]) -> None:
        if settings.registry is None:
            raise SettingsError(f"{ENV_REGISTRY} is not set")
        self.registry = Registry(settings.registry)
        self.poll_s = settings.registry_poll_s
        self.build = build
        self.pointer = self.registry.live()
        if self.pointer.champion is None:
            raise SettingsError(f"{ENV_REGISTRY}={settings.registry}: the registry has no "
                                "champion (scorecard registry promote ID --as champion)")
        self.service = self._load(self.pointer, None)
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None

    def _load(self, live: Live, current: ScoringService | None) -> ScoringService:
        """The services of ``live``, reusing those of ``current`` that stay live."""
        if live.champion is None:
            raise SettingsError("the registry's live pointer names no champion")
        have = {} if current is None else {s.card_id: s for s in (current, *current.challengers)}

        def service(cid: str) -> ScoringService:
            return have.get(cid) or self.build(self.registry.load_card(cid))

        return service(live.champion).with_challengers(
            tuple(service(c) for c in live.challengers))

    def _publish(self, new: ScoringService, before: ScoringService | None) -> None:
        new.ready = True if before is None else before.ready
        self.service = new  # one assignment: a request sees the old cards or the new
        metrics.cards_live((new.model_id, new.content_hash),
                           [(c.model_id, c.content_hash) for c in new.challengers],
                           None if before is None else (
                               (before.model_id, before.content_hash),
                               [(c.model_id, c.content_hash) for c in before.challengers]))

    async def start(self) -> None:
        self._publish(self.service, None)
        self._task = asyncio.create_task(self._follow(), name="registry")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            await self.refresh()

    async def refresh(self) -> bool:
        """Re-read the live pointer and switch when it moved; ``True`` when it switched."""
        try:
            live = await anyio.to_thread.run_sync(self.registry.live)
            if (live.champion, live.challengers) == (self.pointer.champion,
                                                     self.pointer.challengers):
                self.pointer = live
                return False
            new = await anyio.to_thread.run_sync(self._load, live, self.service)
        except Exception as exc:  # the live cards stay; the next poll tries again
            self.last_error = f"{type(exc).__name__}: {exc}"
            _log.error("registry %s: the live cards stay as they are: %s",
                       self.registry.store.url, self.last_error)
            return False
        before = self.service
        self.pointer = live
        self._publish(new, before)
        _log.info("registry %s: now serving %s with %d challenger(s) (history %d)",
                  self.registry.store.url, new.model_id, len(new.challengers), live.seq)
        return True
