"""Every answer on record: the API side of the decision log
(:mod:`scorecard.data.decision_log`).

:class:`DecisionRecorder` turns an answer into its record (inputs as validated, canonical
JSON, personal columns replaced by their salted hash before anything is written), hands it
to the worker's :class:`~scorecard.data.decision_log.GroupWriter` (a task in the worker's
event loop) and waits for the commit:
the handler returns only afterwards. A store that fails, or does not commit within the
deadline, makes the answer a 503 and ``/ready`` unready (fail closed), or, with
``SCORECARD_DECISION_LOG_REQUIRED=0``, an answer without a record, counted in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

import msgspec
from litestar.exceptions import ServiceUnavailableException

from api import prometheus as metrics
from api.responses import ExplainResult, ScoreResult
from api.settings import ENV_DECISION_LOG_HASHED, Settings, SettingsError
from scorecard.card.decisions import Policy
from scorecard.data.decision_log import DecisionLogError, GroupWriter, redact, salted_hash

_log = logging.getLogger("scorecard.decisions")
_sorted = msgspec.json.Encoder(order="sorted").encode
RETRY_AFTER = {"Retry-After": "1"}


def api_key_id(key: str | None) -> str | None:
    """The id of the API key a request used: a digest prefix, never the key."""
    return None if not key else "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:16]


class DecisionRecorder:
    """The worker's link to the decision log (one per app)."""

    def __init__(self, settings: Settings, *, model_id: str, content_hash: str,
                 reason_method: str, policy: Policy | None, id_column: str | None,
                 features: list[str]) -> None:
        if settings.decision_log is None:
            raise SettingsError("no decision log configured")
        features_hashed = sorted(set(settings.decision_log_hashed) & set(features))
        if features_hashed:
            raise SettingsError(f"{ENV_DECISION_LOG_HASHED}: {', '.join(features_hashed)} "
                                "are scored features: hashed, their records could not be "
                                "replayed")
        self.url = settings.decision_log
        self.deadline_s = settings.decision_log_deadline_ms / 1000
        self.required = settings.decision_log_required
        self.hashed = frozenset(settings.decision_log_hashed)
        self.salt = settings.decision_log_salt or ""
        self.model_id, self.content_hash = model_id, content_hash
        self.reason_method = reason_method
        self.policy = policy
        self.policy_json = None if policy is None else _sorted(policy.to_dict()).decode()
        self.id_column = id_column
        self.key_id = api_key_id(settings.api_key)
        # DecisionLogError (a URL that cannot be opened) stops the start-up.
        self.writer = GroupWriter(self.url, on_commit=metrics.decisions_logged)

    @property
    def ready(self) -> bool:
        """False while the store fails or a commit runs past the deadline: the load
        balancer then sends traffic elsewhere (only when records are required; otherwise
        the worker still answers)."""
        return not self.required or (self.writer.healthy
                                     and not self.writer.stalled(self.deadline_s))

    async def start(self) -> None:
        await self.writer.start()

    async def close(self) -> None:
        await self.writer.close()

    # ------------------------------------------------------------------ records

    def _inputs(self, applicant: dict[str, Any]) -> tuple[str, Any]:
        if self.hashed:
            applicant = {k: (salted_hash(self.salt, v) if k in self.hashed else v)
                         for k, v in applicant.items()}
        uid = applicant.get(self.id_column) if self.id_column else None
        return _sorted(applicant).decode(), uid

    def row(self, endpoint: str, received: str, started: float, applicant: dict[str, Any],
            result: ScoreResult | ExplainResult, policy_json: str | None = None,
            shadow: str | None = None) -> tuple[Any, ...]:
        """The record of one answer, in :data:`~scorecard.data.decision_log.ANSWER_FIELDS`
        order, then its challengers' ``shadow`` results (``None``: no challenger). The card
        is the answer's (the registry may switch it between two answers)."""
        inputs, uid = self._inputs(applicant)
        reasons = "[" + ",".join(f'"{r.code}"' for r in result.reasons) + "]"
        return (result.decision_id, received, endpoint, result.model_id, result.content_hash,
                None if uid is None else str(uid), inputs, float(result.pd),
                int(result.score), result.grade, result.decision,
                policy_json if policy_json is not None else self.policy_json, reasons,
                self.reason_method, self.key_id,
                round((time.perf_counter() - started) * 1000, 3), shadow)

    def explain_policy(self, policy: Policy) -> str:
        return _sorted(policy.to_dict()).decode()

    # ------------------------------------------------------------------ commit

    async def commit(self, rows: list[tuple[Any, ...]]) -> None:
        """Return once ``rows`` are committed; raises the 503 when they cannot be (or
        returns, counting them unlogged, when records are not required)."""
        try:
            future = self.writer.submit(rows)
        except DecisionLogError as exc:
            return self._unrecorded(len(rows), "backlog", str(exc))
        try:
            error = await asyncio.wait_for(asyncio.shield(future), self.deadline_s)
        except TimeoutError:
            return self._unrecorded(len(rows), "deadline", f"no commit within "
                                    f"{self.deadline_s * 1000:.0f} ms")
        if error is not None:
            return self._unrecorded(len(rows), "error", self.writer.last_error or str(error))

    def _unrecorded(self, n: int, reason: str, detail: str) -> None:
        metrics.decisions_unlogged(reason, n)
        _log.error("decision log %s: %d record(s) not committed (%s): %s", redact(self.url),
                   n, reason, detail)
        if self.required:
            raise ServiceUnavailableException("the decision log is unavailable: no answer "
                                              "without its record", headers=RETRY_AFTER)
