"""Every answer on record: the API side of the decision log
(:mod:`scorecard.data.decision_log`).

:class:`DecisionRecorder` turns an answer into its record (inputs as validated, canonical
JSON, personal columns replaced by their salted hash before anything is written), hands it
to the worker's :class:`~scorecard.data.decision_log.GroupWriter` (a writer process beside
the worker) and waits for the commit:
the handler returns only afterwards. A store that fails, or does not commit within the
deadline, makes the answer a 503 and ``/ready`` unready (fail closed), or, with
``SCORECARD_DECISION_LOG_REQUIRED=0``, an answer without a record, counted in ``/metrics``.

:class:`Oversight` is the reviewers' side: overrides, the referral queue and the oversight
figures of ``/metrics``, on a connection of its own used from a thread (reviews are rare;
the event loop keeps answering meanwhile).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import msgspec
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    ServiceUnavailableException,
)

from api import prometheus as metrics
from api.responses import (
    DecisionPage,
    DecisionSummary,
    DecisionView,
    ExplainResult,
    Override,
    ScoreResult,
)
from api.settings import ENV_DECISION_LOG, ENV_DECISION_LOG_HASHED, Settings, SettingsError
from scorecard.card.decisions import DECISIONS, Policy
from scorecard.data.decision_log import (
    DecisionLogError,
    DecisionStore,
    GroupWriter,
    OverrideError,
    open_store,
    redact,
    salted_hash,
)
from scorecard.data.records import InvalidRecordsError, Issue

_log = logging.getLogger("scorecard.decisions")
_sorted = msgspec.json.Encoder(order="sorted").encode
RETRY_AFTER = {"Retry-After": "1"}
MAX_REASON_CHARS = 2000
STATUSES = ("open", "resolved", "any")
T = TypeVar("T")


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

    def policy_json(self, policy: Policy | None, score: int) -> str | None:
        """The policy as recorded with a decision of ``score`` (:meth:`Policy.record`)."""
        if policy is None:
            return None
        return _policy_record(policy, score < policy.refer_from
                              and not policy.automated_declines)

    def row(self, endpoint: str, received: str, started: float, applicant: dict[str, Any],
            result: ScoreResult | ExplainResult, policy: Policy | None = None,
            shadow: str | None = None) -> tuple[Any, ...]:
        """The record of one answer, in :data:`~scorecard.data.decision_log.ANSWER_FIELDS`
        order, then its challengers' ``shadow`` results (``None``: no challenger).
        ``policy``: the one that decided (default the service's at start). The card is the
        answer's (the registry may switch it between two answers)."""
        inputs, uid = self._inputs(applicant)
        reasons = "[" + ",".join(f'"{r.code}"' for r in result.reasons) + "]"
        return (result.decision_id, received, endpoint, result.model_id, result.content_hash,
                None if uid is None else str(uid), inputs, float(result.pd),
                int(result.score), result.grade, result.decision,
                self.policy_json(self.policy if policy is None else policy,
                                 int(result.score)), reasons,
                self.reason_method, self.key_id,
                round((time.perf_counter() - started) * 1000, 3), shadow)

    # ------------------------------------------------------------------ commit

    async def commit(self, rows: list[tuple[Any, ...]]) -> None:
        """Return once ``rows`` are committed; raises the 503 when they cannot be (or
        returns, counting them unlogged, when records are not required)."""
        try:
            future = self.writer.submit(rows)
        except DecisionLogError as exc:
            return self._unrecorded(len(rows), "backlog", str(exc))
        try:
            # Cancelled at the deadline, the future is only this answer's handle on its
            # record: the writer still commits the group (it skips a future already done).
            async with asyncio.timeout(self.deadline_s):
                error = await future
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


class Oversight:
    """The reviewers' access to the decision log (one per worker; ``None`` without a log)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: DecisionStore | None = None
        self._lock = threading.Lock()  # one connection, one thread at a time

    def _run(self, work: Callable[[DecisionStore], T]) -> T:
        with self._lock:
            try:
                if self._store is None:
                    self._store = open_store(self.url, migrate=False, busy_s=5.0)
                return work(self._store)
            except DecisionLogError:
                raise
            except Exception as exc:  # the database failed: reconnect next time
                if self._store is not None:
                    self._store.close()
                self._store = None
                _log.error("decision log %s: oversight failed: %s: %s", redact(self.url),
                           type(exc).__name__, str(exc).strip()[:300])
                raise ServiceUnavailableException("the decision log is unavailable",
                                                  headers=RETRY_AFTER) from None

    async def call(self, work: Callable[[DecisionStore], T]) -> T:
        return await anyio.to_thread.run_sync(self._run, work)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    async def override(self, decision_id: str, body: Any, reviewer: str,
                       key_id: str | None) -> Override:
        """Record ``reviewer``'s override of ``decision_id`` (body ``{"decision",
        "reason"}``); 422 naming each bad field, 404 for an unknown decision, 409 when it
        would not change the decision in effect."""
        decision, reason = _override_body(body)
        try:
            made = await self.call(lambda s: s.override(decision_id, decision, reason,
                                                        reviewer, key_id))
        except OverrideError as exc:
            raise ClientException(str(exc), status_code=409) from None
        if made is None:
            raise NotFoundException(f"decision {decision_id!r} is not in the decision log")
        metrics.overridden(decision)
        return msgspec.convert(made, Override)

    async def page(self, decision: str | None, status: str, after: str | None,
                   limit: int) -> DecisionPage:
        rows = await self.call(lambda s: s.page(decision, status, after, limit + 1))
        items = [_summary(r) for r in rows[:limit]]
        return DecisionPage(items, items[-1].decision_id if len(rows) > limit else None)

    async def view(self, decision_id: str) -> DecisionView:
        def read(store: DecisionStore) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
            return store.get(decision_id), store.overrides(decision_id)

        record, overrides = await self.call(read)
        if record is None:
            raise NotFoundException(f"decision {decision_id!r} is not in the decision log")
        for name in ("inputs", "policy", "reasons"):
            if record[name] is not None:
                record[name] = json.loads(record[name])
        return DecisionView(record, [msgspec.convert(o, Override) for o in overrides],
                            overrides[-1]["decision"] if overrides else record["decision"])

    async def figures(self) -> dict[str, int] | None:
        """The log's oversight counts for ``/metrics`` (``None``, logged, when the log
        cannot answer: a scrape still gets the worker's own metrics)."""
        try:
            return await self.call(lambda s: s.oversight())
        except ServiceUnavailableException:
            return None


@functools.lru_cache(maxsize=64)
def _policy_record(policy: Policy, referred_decline: bool) -> str:
    """A policy's record as JSON, made once per policy (the service's, a registry card's,
    an explain request's own cut-off): its two forms, the card's decline referred or not."""
    return _sorted(policy.record(policy.refer_from - referred_decline)).decode()


def no_log() -> NotFoundException:
    return NotFoundException(f"this service keeps no decision log ({ENV_DECISION_LOG}): "
                             "there is nothing to review")


def _override_body(body: Any) -> tuple[str, str]:
    """``decision`` and ``reason`` of an override's body; InvalidRecordsError naming every
    bad field."""
    if type(body) is not dict:
        raise InvalidRecordsError([Issue("$", "type", "the body must be a JSON object: "
                                         '{"decision": "accept", "reason": "..."}')])
    issues = [Issue(k, "unknown_field", f"unknown field {k!r} (allowed: decision, reason)")
              for k in body if k not in ("decision", "reason")]
    decision, reason = body.get("decision"), body.get("reason")
    if decision not in DECISIONS:
        issues.append(Issue("decision", "required" if decision is None else "allowed",
                            f"the new decision: one of {', '.join(DECISIONS)}"))
    if type(reason) is not str or not reason.strip():
        issues.append(Issue("reason", "required", "why the decision is overridden: "
                            "non-empty text"))
    elif len(reason) > MAX_REASON_CHARS:
        issues.append(Issue("reason", "length", f"at most {MAX_REASON_CHARS} characters"))
    if issues:
        raise InvalidRecordsError(issues)
    return str(decision), str(reason).strip()


def _summary(row: dict[str, Any]) -> DecisionSummary:
    return DecisionSummary(
        row["decision_id"], row["received"], row["endpoint"], row["model_id"],
        row["applicant_id"], float(row["pd"]), int(row["score"]), row["grade"],
        row["decision"], row["current"], row["overrides"],
        None if row["policy"] is None else json.loads(row["policy"]),
        json.loads(row["reasons"]))
