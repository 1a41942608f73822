"""The decision log: one record per answer, in SQLite or PostgreSQL, hash-chained.

Stdlib only (``psycopg`` is imported when a ``postgresql://`` URL is opened), so the API
imports it without the training stack.

* :func:`decision_ids` — time-ordered ids (UUIDv7 layout: 48 bits of Unix milliseconds, a
  per-process counter within the millisecond, 62 random bits): unique across workers and
  hosts without coordination, and sorting as text sorts by time.
* :func:`open_store` — ``sqlite:///relative.db``, ``sqlite:////absolute.db`` (WAL, full
  fsync at each commit) or ``postgresql://user@host:port/db``; one schema, applied by
  versioned :data:`MIGRATIONS` (several workers may start at once).
* :class:`GroupWriter` — a writer process per worker (:func:`serve_writer`): records that
  arrive while a transaction runs go into the next one, so a commit carries many answers
  under load and one alone when idle. A record's future resolves only after its
  transaction committed.
* Tamper evidence: each writer is one chain. A record carries ``seq`` (its place in the
  chain), ``prev_hash`` (the hash of its predecessor) and ``hash`` (SHA-256 of every other
  field and ``prev_hash``); the ``chains`` table anchors each chain's base (the genesis, or
  the last purged record) and head, updated in the same transaction as the records.
  :func:`verify` names every record altered, deleted, inserted or reordered.
* :meth:`DecisionStore.purge` deletes a prefix of every chain and moves its base there (a
  checkpoint), so :func:`verify` still holds for what remains.
* Human oversight: :meth:`DecisionStore.override` records a reviewer's new decision and
  reason beside a decision, never changing its record, in the ``overrides`` table: one
  chain of its own (:data:`OVERRIDE_FIELDS`, anchored in ``override_chain``; appended under
  a lock, so workers never fork it), walked by :func:`verify` too. A referral with no
  override is open (:meth:`DecisionStore.page`, the referral queue);
  :meth:`DecisionStore.oversight` counts decisions, referrals, overrides and the backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import itertools
import json
import marshal
import os
import secrets
import select
import sqlite3
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from scorecard.errors import UsageError

# The record's columns, in table and hash order. ``hash`` is over all the others.
FIELDS = ("decision_id", "chain_id", "seq", "received", "endpoint", "model_id",
          "content_hash", "applicant_id", "inputs", "pd", "score", "grade", "decision",
          "policy", "reasons", "reason_method", "api_key_id", "latency_ms", "prev_hash",
          "hash")
# What the API fills in; the writer adds chain_id, seq, prev_hash and hash.
ANSWER_FIELDS = tuple(f for f in FIELDS if f not in ("chain_id", "seq", "prev_hash", "hash"))
# Added by migration 4, after ``hash``: the challengers' shadow results (canonical JSON), or
# NULL. The hash covers it only when present, so records written before it verify as they
# were.
SHADOW = "shadow"
COLUMNS = (*FIELDS, SHADOW)
GENESIS = "0" * 64  # the predecessor of a chain's first record
# An override's columns, in table and hash order (``hash`` is over all the others):
# ``previous_decision`` is the decision in effect when it was made (the record's, or the
# last override's).
OVERRIDE_FIELDS = ("override_id", "seq", "decision_id", "recorded", "previous_decision",
                   "decision", "reason", "reviewer", "reviewer_key_id", "prev_hash", "hash")
OVERRIDE_CHAIN = "overrides"  # the one chain of the overrides table

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE decisions (
            decision_id TEXT PRIMARY KEY,
            chain_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            received TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            model_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            applicant_id TEXT,
            inputs TEXT NOT NULL,
            pd DOUBLE PRECISION NOT NULL,
            score INTEGER NOT NULL,
            grade TEXT,
            decision TEXT,
            policy TEXT,
            reasons TEXT NOT NULL,
            reason_method TEXT NOT NULL,
            api_key_id TEXT,
            latency_ms DOUBLE PRECISION NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (chain_id, seq))""",
        "CREATE INDEX decisions_received ON decisions (received)",
        "CREATE INDEX decisions_applicant ON decisions (applicant_id)",
        """CREATE TABLE chains (
            chain_id TEXT PRIMARY KEY,
            started TEXT NOT NULL,
            writer TEXT NOT NULL,
            base_seq BIGINT NOT NULL,
            base_hash TEXT NOT NULL,
            head_seq BIGINT NOT NULL,
            head_hash TEXT NOT NULL)""",
        """CREATE TABLE purges (
            purged_at TEXT NOT NULL,
            before TEXT NOT NULL,
            chain_id TEXT NOT NULL,
            base_seq BIGINT NOT NULL,
            base_hash TEXT NOT NULL,
            removed BIGINT NOT NULL)""",
    ),
    2: (
        """CREATE TABLE outcomes (
            decision_id TEXT PRIMARY KEY,
            observed_default INTEGER NOT NULL,
            recorded TEXT NOT NULL)""",
    ),
    3: (
        """CREATE TABLE overrides (
            override_id TEXT PRIMARY KEY,
            seq BIGINT NOT NULL UNIQUE,
            decision_id TEXT NOT NULL,
            recorded TEXT NOT NULL,
            previous_decision TEXT,
            decision TEXT NOT NULL,
            reason TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            reviewer_key_id TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL)""",
        "CREATE INDEX overrides_decision ON overrides (decision_id)",
        "CREATE INDEX decisions_decision ON decisions (decision, decision_id)",
        """CREATE TABLE override_chain (
            chain_id TEXT PRIMARY KEY,
            base_seq BIGINT NOT NULL,
            base_hash TEXT NOT NULL,
            head_seq BIGINT NOT NULL,
            head_hash TEXT NOT NULL)""",
        # A migration is fixed text: the chain's name and genesis hash as literals.
        "INSERT INTO override_chain VALUES ('overrides', 0, "
        "'0000000000000000000000000000000000000000000000000000000000000000', 0, "
        "'0000000000000000000000000000000000000000000000000000000000000000')",
    ),
    4: ("ALTER TABLE decisions ADD COLUMN shadow TEXT",),
}
SCHEMA_VERSION = max(MIGRATIONS)
_MIGRATION_LOCK = 7_318_842  # PostgreSQL advisory lock key: one migrator at a time


class DecisionLogError(UsageError):
    """The log cannot be opened or used as asked (a bad URL, a missing driver, a database
    that refuses the connection); the message names the URL without its password."""


class OverrideError(DecisionLogError):
    """An override that would not change the decision in effect."""


# --------------------------------------------------------------------------- ids and time


_id_lock = threading.Lock()
_id_state = [0, 0]  # last millisecond, counter within it


def decision_ids(n: int = 1) -> list[str]:
    """``n`` new decision ids, increasing within the process, time-ordered across
    processes to the millisecond."""
    out = []
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        last, counter = _id_state
        for _ in range(n):
            if ms > last:
                last, counter = ms, secrets.randbits(10)  # room to count up within the ms
            else:
                counter += 1
                if counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next one
                    last, counter = last + 1, 0
            rand = int.from_bytes(os.urandom(8)) & 0x3FFF_FFFF_FFFF_FFFF
            value = (last << 80) | (0x7 << 76) | (counter << 64) | (0x2 << 62) | rand
            h = f"{value:032x}"
            out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
        _id_state[:] = last, counter
    return out


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def utc_now(at_ns: int | None = None) -> str:
    """The current time (or ``at_ns``, nanoseconds since the epoch) as the log writes it:
    ISO 8601 UTC to the microsecond, ``Z``; text order is time order. (Called on every
    answer: the date and time of day are formatted once a second.)"""
    global _second
    second, micro = divmod((time.time_ns() if at_ns is None else at_ns) // 1000, 1_000_000)
    cached = _second  # one read: threads may replace it meanwhile
    if cached[0] != second:
        cached = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{micro:06d}Z"


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def salted_hash(salt: str, value: Any) -> str | None:
    """What the log keeps of a personal column: HMAC-SHA256 of its canonical JSON under the
    deployment's salt (``None`` stays ``None``, so missing stays visible)."""
    if value is None:
        return None
    import hmac

    return "hmac:" + hmac.new(salt.encode(), canonical(value).encode(),
                              hashlib.sha256).hexdigest()


def record_hash(row: Sequence[Any], shadow: str | None = None) -> str:
    """SHA-256 of a record's :data:`FIELDS` before ``hash`` (``prev_hash`` included), and of
    its :data:`SHADOW` results when it has any."""
    fields = list(row[:len(FIELDS) - 1])
    return hashlib.sha256(canonical(fields if shadow is None else [*fields, shadow]
                                    ).encode()).hexdigest()


def override_hash(row: Sequence[Any]) -> str:
    """SHA-256 of an override's :data:`OVERRIDE_FIELDS` before ``hash`` (as
    :func:`record_hash`)."""
    return hashlib.sha256(canonical(list(row[:len(OVERRIDE_FIELDS) - 1])).encode()
                          ).hexdigest()


# --------------------------------------------------------------------------- the store


@dataclass
class Chain:
    """A writer's chain as anchored: its last committed ``seq`` and ``hash``."""

    chain_id: str
    head_seq: int = 0
    head_hash: str = GENESIS


Plan = list[tuple[str, Any, bool]]  # (SQL with ? marks, params, executemany)
# SQLite's writer checkpoints the WAL into the database file off the commit path: SQLite's
# own automatic checkpoint runs inside the commit that crosses its threshold, and every
# answer waiting on that commit waits for the copy and its fsync too.
CHECKPOINT_EVERY_S = 0.5
MAX_GROUP = 1000  # records per INSERT: 21 columns each, within SQLite's 32,766 variables


def append_plan(chain: Chain, rows: list[tuple[Any, ...]], writer: str) -> tuple[Plan, Chain]:
    """The statements of one append (records chained after ``chain``, the anchor moved)
    and the chain's new head. A row is in :data:`ANSWER_FIELDS` order, optionally followed
    by its :data:`SHADOW` text."""
    seq, prev = chain.head_seq, chain.head_hash
    full = []
    n = len(ANSWER_FIELDS)
    for row in rows:
        seq += 1
        shadow = row[n] if len(row) > n else None
        record = (row[0], chain.chain_id, seq, *row[1:n], prev)
        prev = record_hash((*record, ""), shadow)
        full.append((*record, prev, shadow))
    # Multi-row INSERTs of up to MAX_GROUP records: few statements to step.
    marks = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    plan: Plan = []
    for i in range(0, len(full), MAX_GROUP):
        part = full[i:i + MAX_GROUP]
        # Only the constant column names and placeholders are joined; values are bound.
        plan.append((f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES "  # nosec B608
                     + ", ".join([marks] * len(part)), [v for r in part for v in r], False))
    if chain.head_seq == 0:
        plan.append(("INSERT INTO chains VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT (chain_id) "
                     "DO UPDATE SET head_seq = excluded.head_seq, head_hash = "
                     "excluded.head_hash",
                     (chain.chain_id, utc_now(), writer, GENESIS, seq, prev), False))
    else:
        plan.append(("UPDATE chains SET head_seq = ?, head_hash = ? WHERE chain_id = ?",
                     (seq, prev, chain.chain_id), False))
    return plan, Chain(chain.chain_id, seq, prev)


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        auth, _, rest = tail.rpartition("@")
        user = auth.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in auth else url
    return url


def open_store(url: str, *, migrate: bool = True, busy_s: float = 30.0) -> DecisionStore:
    """The store at ``url``, its schema migrated to :data:`SCHEMA_VERSION`; raises
    :class:`DecisionLogError` with one line naming what is wrong. ``busy_s``: how long a
    SQLite statement waits for another writer's lock."""
    url = url.strip()
    if url.startswith("sqlite://"):
        store: DecisionStore = SqliteStore(url, busy_s)
    elif url.startswith(("postgresql://", "postgres://")):
        store = PostgresStore(url)
    else:
        raise DecisionLogError(f"decision log {redact(url)!r}: not a sqlite:///PATH or "
                               "postgresql://... URL")
    if migrate:
        store.migrate()
    return store


class DecisionStore:
    """One connection to the log (not shared between threads)."""

    url: str
    placeholder = "?"
    lock_row = ""  # what locks a selected row until the commit (SQLite locks the file)

    def __init__(self, url: str, busy_s: float = 30.0) -> None:
        self.url = url
        self.busy_s = busy_s
        self.conn: Any = None
        self.connect()

    # dialect hooks
    def connect(self) -> None:
        raise NotImplementedError

    def begin(self, write: bool = True) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # the connection may be gone already
            self.conn.rollback()

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), params)
        return cur

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.cursor().executemany(self._sql(sql), rows)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    # schema
    def version(self) -> int:
        self.begin()
        try:
            self._lock_migrations()  # CREATE IF NOT EXISTS races in PostgreSQL
            self.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
            row = self.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return int(row[0] or 0)

    def migrate(self) -> int:
        """Apply the migrations above the database's version, each in its transaction;
        returns the version reached."""
        self.version()
        for version in sorted(MIGRATIONS):
            self.begin()
            try:
                self._lock_migrations()
                row = self.execute("SELECT 1 FROM schema_migrations WHERE version = ?",
                                   (version,)).fetchone()
                if row is None:
                    for ddl in MIGRATIONS[version]:
                        self.execute(ddl)
                    self.execute("INSERT INTO schema_migrations VALUES (?, ?)",
                                 (version, utc_now()))
                self.commit()
            except BaseException:
                self.rollback()
                raise
        return SCHEMA_VERSION

    def _lock_migrations(self) -> None:
        pass

    # writing
    def append(self, chain: Chain, rows: list[tuple[Any, ...]], writer: str) -> Chain:
        """Chain ``rows`` (answer fields) after ``chain``, insert them and move the chain's
        head, in one transaction; returns the new head (``chain`` is left as it was if
        anything fails)."""
        plan, head = append_plan(chain, rows, writer)
        self.write(plan)
        return head

    def write(self, plan: Plan) -> None:
        """Run ``plan`` in one transaction and commit it (nothing of it stays on failure)."""
        self.begin()
        try:
            for sql, params, many in plan:
                (self.executemany if many else self.execute)(sql, params)
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def head(self, chain_id: str) -> Chain:
        """The chain as the database anchors it (after a commit whose outcome is unknown)."""
        self.begin(write=False)
        row = self.execute("SELECT head_seq, head_hash FROM chains WHERE chain_id = ?",
                           (chain_id,)).fetchone()
        self.commit()
        return Chain(chain_id) if row is None else Chain(chain_id, int(row[0]), row[1])

    def ping(self) -> None:
        """Raises unless the log's table answers (a probe of the store, not just the
        connection)."""
        self.execute("SELECT 1 FROM decisions WHERE 1 = 0").fetchall()
        self.commit()

    # reading
    def chains(self) -> list[dict[str, Any]]:
        cur = self.execute("SELECT chain_id, started, writer, base_seq, base_hash, head_seq, "
                           "head_hash FROM chains ORDER BY started, chain_id")
        names = [d[0] for d in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        self.commit()
        return out

    def records(self, where: str = "", params: Sequence[Any] = (), order: str = "decision_id",
                batch: int = 5_000) -> Iterator[dict[str, Any]]:
        """Records as dicts (``where`` is SQL over the columns, ``?`` placeholders), in
        ``order``, read in pages by that order's key so memory stays flat."""
        keys = [k.strip() for k in order.split(",")]
        last: tuple[Any, ...] | None = None
        while True:
            clauses = [where] if where else []
            args = list(params)
            if last is not None:
                clauses.append(f"({', '.join(keys)}) > ({', '.join('?' * len(keys))})")
                args += list(last)
            # The caller's clauses are the module's own constants; values are bound.
            sql = (f"SELECT {', '.join(COLUMNS)} FROM decisions"  # nosec B608
                   + (f" WHERE {' AND '.join(f'({c})' for c in clauses)}" if clauses else "")
                   + f" ORDER BY {order} LIMIT {batch}")
            rows = self.execute(sql, args).fetchall()
            self.commit()
            for r in rows:
                yield dict(zip(COLUMNS, r, strict=True))
            if len(rows) < batch:
                return
            last = tuple(rows[-1][COLUMNS.index(k)] for k in keys)

    def get(self, decision_id: str) -> dict[str, Any] | None:
        return next(self.records("decision_id = ?", (decision_id,)), None)

    def count(self) -> int:
        n = int(self.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
        self.commit()
        return n

    # retention
    def purge(self, before: str) -> dict[str, int]:
        """Delete, chain by chain, the records up to the first one received at or after
        ``before`` (ISO date or time, UTC) and anchor the chain's base at the last deleted
        one; returns records removed per chain."""
        removed: dict[str, int] = {}
        for chain in self.chains():
            self.begin()
            try:
                cid = chain["chain_id"]
                row = self.execute("SELECT MIN(seq) FROM decisions WHERE chain_id = ? AND "
                                   "received >= ?", (cid, before)).fetchone()
                cut = int(row[0]) if row[0] is not None else int(chain["head_seq"]) + 1
                if cut - 1 <= int(chain["base_seq"]):
                    self.commit()
                    continue
                base = self.execute("SELECT hash FROM decisions WHERE chain_id = ? AND "
                                    "seq = ?", (cid, cut - 1)).fetchone()
                if base is None:
                    raise DecisionLogError(f"chain {cid}: record {cut - 1} is missing; run "
                                           "`scorecard decisions verify` before purging")
                n = self.execute("DELETE FROM decisions WHERE chain_id = ? AND seq < ?",
                                 (cid, cut)).rowcount
                self.execute("UPDATE chains SET base_seq = ?, base_hash = ? WHERE "
                             "chain_id = ?", (cut - 1, base[0], cid))
                self.execute("INSERT INTO purges VALUES (?, ?, ?, ?, ?, ?)",
                             (utc_now(), before, cid, cut - 1, base[0], n))
                self.commit()
            except BaseException:
                self.rollback()
                raise
            removed[cid] = n
        self._purge_overrides(before)
        return removed

    def _purge_overrides(self, before: str) -> int:
        """Delete the overrides recorded before ``before`` (a prefix of their chain) and
        move the chain's base to the last one deleted."""
        self.begin()
        try:
            row = self.execute("SELECT MAX(seq) FROM overrides WHERE recorded < ?",
                               (before,)).fetchone()
            if row[0] is None:
                self.commit()
                return 0
            cut = int(row[0])
            base = self.execute("SELECT hash FROM overrides WHERE seq = ?", (cut,)).fetchone()
            n = self.execute("DELETE FROM overrides WHERE seq <= ?", (cut,)).rowcount
            self.execute("UPDATE override_chain SET base_seq = ?, base_hash = ? WHERE "
                         "chain_id = ?", (cut, base[0], OVERRIDE_CHAIN))
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return int(n)

    # outcomes
    def record_outcomes(self, pairs: Sequence[tuple[str, int]]) -> int:
        """Attach observed defaults ``(decision_id, 0|1)``; a later outcome replaces an
        earlier one. Returns how many were written."""
        now = utc_now()
        self.begin()
        try:
            self.executemany("INSERT INTO outcomes VALUES (?, ?, ?) ON CONFLICT (decision_id) "
                             "DO UPDATE SET observed_default = excluded.observed_default, "
                             "recorded = excluded.recorded",
                             [(d, int(y), now) for d, y in pairs])
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return len(pairs)

    def outcomes(self) -> dict[str, int]:
        rows = self.execute("SELECT decision_id, observed_default FROM outcomes").fetchall()
        self.commit()
        return {d: int(y) for d, y in rows}

    # human oversight
    def override(self, decision_id: str, decision: str, reason: str, reviewer: str,
                 reviewer_key_id: str | None = None) -> dict[str, Any] | None:
        """Record ``reviewer``'s override of ``decision_id`` by ``decision`` for ``reason``,
        chained after the last override, in one transaction; returns the override's record
        (:data:`OVERRIDE_FIELDS`), ``None`` when the decision is not in the log. Raises
        :class:`OverrideError` when ``decision`` is the one already in effect."""
        self.begin()
        try:
            # The anchor first, locked: concurrent overrides queue here, one chain.
            head = self.execute("SELECT head_seq, head_hash FROM override_chain WHERE "  # nosec B608: the store's own lock clause
                                f"chain_id = ?{self.lock_row}", (OVERRIDE_CHAIN,)).fetchone()
            row = self.execute("SELECT decision FROM decisions WHERE decision_id = ?",
                               (decision_id,)).fetchone()
            if row is None:
                self.rollback()
                return None
            last = self.execute("SELECT decision FROM overrides WHERE decision_id = ? ORDER "
                                "BY seq DESC LIMIT 1", (decision_id,)).fetchone()
            current = row[0] if last is None else last[0]
            if decision == current:
                raise OverrideError(f"decision {decision_id} is already {current!r}: an "
                                    "override must change it")
            values = (decision_ids(1)[0], int(head[0]) + 1, decision_id, utc_now(), current,
                      decision, reason, reviewer, reviewer_key_id, head[1])
            record = (*values, override_hash((*values, "")))
            marks = ", ".join("?" * len(OVERRIDE_FIELDS))
            self.execute(f"INSERT INTO overrides ({', '.join(OVERRIDE_FIELDS)}) "
                         f"VALUES ({marks})", record)  # nosec B608: constant names
            self.execute("UPDATE override_chain SET head_seq = ?, head_hash = ? WHERE "
                         "chain_id = ?", (record[1], record[-1], OVERRIDE_CHAIN))
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return dict(zip(OVERRIDE_FIELDS, record, strict=True))

    def overrides(self, decision_id: str | None = None) -> list[dict[str, Any]]:
        """The overrides of ``decision_id`` (``None``: all), in chain order."""
        where = "" if decision_id is None else " WHERE decision_id = ?"
        cur = self.execute(f"SELECT {', '.join(OVERRIDE_FIELDS)} FROM overrides"  # nosec B608: constant names
                           f"{where} ORDER BY seq", () if decision_id is None
                           else (decision_id,))
        rows = cur.fetchall()
        self.commit()
        return [dict(zip(OVERRIDE_FIELDS, r, strict=True)) for r in rows]

    def page(self, decision: str | None = None, status: str = "any", after: str | None = None,
             limit: int = 100) -> list[dict[str, Any]]:
        """Up to ``limit`` decisions after the id ``after``, in id (time) order: those
        answered ``decision`` (``None``: any), ``open`` (no override yet), ``resolved``
        (overridden) or ``any``; each with its decision in effect (``current``) and its
        number of overrides."""
        clauses, params = [], []
        if decision is not None:
            clauses.append("d.decision = ?")
            params.append(decision)
        if status != "any":
            clauses.append(("NOT " if status == "open" else "") + "EXISTS (SELECT 1 FROM "  # nosec B608: constant text
                           "overrides o WHERE o.decision_id = d.decision_id)")
        if after is not None:
            clauses.append("d.decision_id > ?")
            params.append(after)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        names = ("decision_id", "received", "endpoint", "model_id", "applicant_id", "pd",
                 "score", "grade", "decision", "policy", "reasons")
        # Only the module's constant clauses are joined; values are bound.
        sql = (f"SELECT {', '.join('d.' + n for n in names)}, "  # nosec B608
               "(SELECT o.decision FROM overrides o WHERE o.decision_id = d.decision_id "
               "ORDER BY o.seq DESC LIMIT 1), (SELECT COUNT(*) FROM overrides o WHERE "
               f"o.decision_id = d.decision_id) FROM decisions d{where} ORDER BY "
               "d.decision_id LIMIT ?")
        rows = self.execute(sql, (*params, int(limit))).fetchall()
        self.commit()
        out = []
        for r in rows:
            item = dict(zip(names, r[:len(names)], strict=True))
            item["current"] = r[-2] if r[-2] is not None else item["decision"]
            item["overrides"] = int(r[-1])
            out.append(item)
        return out

    def oversight(self, where: str = "", params: Sequence[Any] = ()) -> dict[str, int]:
        """Counts over the decisions matching ``where`` (SQL over the log's columns):
        ``decisions``, ``referred`` (answered refer), ``referred_declines`` (the card
        declined, automated declines were off), ``overridden`` (decisions with an override),
        ``overrides`` (override records) and ``open_referrals`` (referred, not
        overridden)."""
        scope = f"({where})" if where else "1 = 1"
        has = "EXISTS (SELECT 1 FROM overrides o WHERE o.decision_id = decisions.decision_id)"
        # Only the caller's constant clause and the module's are joined; values are bound.
        sql = ("SELECT COUNT(*), "  # nosec B608
               "COALESCE(SUM(CASE WHEN decision = 'refer' THEN 1 ELSE 0 END), 0), "
               "COALESCE(SUM(CASE WHEN policy LIKE ? THEN 1 ELSE 0 END), 0), "
               f"COALESCE(SUM(CASE WHEN {has} THEN 1 ELSE 0 END), 0), "
               f"COALESCE(SUM(CASE WHEN decision = 'refer' AND NOT {has} THEN 1 ELSE 0 "
               f"END), 0) FROM decisions WHERE {scope}")
        # The policy is canonical JSON (sorted keys, no spaces): one spelling to match.
        row = self.execute(sql, ('%"card_decision":"decline"%', *params)).fetchone()
        n_overrides = self.execute(
            "SELECT COUNT(*) FROM overrides WHERE decision_id IN (SELECT decision_id FROM "
            f"decisions WHERE {scope})", tuple(params)).fetchone()[0]  # nosec B608: own clauses
        self.commit()
        return {"decisions": int(row[0]), "referred": int(row[1]),
                "referred_declines": int(row[2]), "overridden": int(row[3]),
                "overrides": int(n_overrides), "open_referrals": int(row[4])}


class SqliteStore(DecisionStore):
    """SQLite in WAL mode; ``synchronous=FULL``: a commit is on disk when it returns."""

    def connect(self) -> None:
        rest = self.url[len("sqlite://"):]
        if not rest.startswith("/") or rest == "/":
            raise DecisionLogError(f"decision log {self.url!r}: write sqlite:///relative.db "
                                   "or sqlite:////absolute/path.db")
        path = Path(rest[1:])
        if not path.parent.is_dir():
            raise DecisionLogError(f"decision log {self.url!r}: folder {path.parent} does "
                                   "not exist")
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                        timeout=self.busy_s)
            # Two connections switching a new file to WAL at once: SQLite answers one
            # "locked" at once rather than let both wait for each other, busy timeout or not.
            _retry_locked(lambda: self.conn.execute("PRAGMA journal_mode=WAL"), self.busy_s)
            self.conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise DecisionLogError(f"decision log {self.url!r}: cannot open {path}: "
                                   f"{exc}") from None
        self.path = path

    def begin(self, write: bool = True) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)


class PostgresStore(DecisionStore):
    """PostgreSQL through psycopg 3 (the binary wheel); each transaction explicit."""

    placeholder = "%s"
    lock_row = " FOR UPDATE"

    def connect(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise DecisionLogError(f"decision log {redact(self.url)!r}: PostgreSQL needs the "
                                   "psycopg package (pip install 'psycopg[binary]')") from None
        try:
            self.conn = psycopg.connect(self.url, connect_timeout=5, autocommit=False)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DecisionLogError(f"decision log {redact(self.url)!r}: cannot connect: "
                                   f"{first}") from None

    def begin(self, write: bool = True) -> None:
        pass  # psycopg opens a transaction at the first statement

    def _lock_migrations(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def write(self, plan: Plan) -> None:
        """Run ``plan`` in one transaction and commit it, in one round trip (pipeline
        mode). A raw cursor takes PostgreSQL's own ``$n`` marks: a long multi-row INSERT is
        not scanned for placeholders on every commit (psycopg caches only short queries)."""
        from psycopg import RawCursor

        try:
            with self.conn.pipeline(), RawCursor(self.conn) as cur:
                for sql, params, many in plan:
                    sql = numbered(sql)
                    cur.executemany(sql, params) if many else cur.execute(sql, params)
                self.conn.commit()
        except BaseException:
            self.rollback()
            raise


# --------------------------------------------------------------------------- the writer


class GroupWriter:
    """The worker's writer: a process of its own beside the worker's event loop, one chain
    per writer.

    :meth:`submit` hands rows (:data:`ANSWER_FIELDS` order) to the process at once and
    returns a future. The process (:func:`serve_writer`) takes everything that has arrived,
    chains it, commits it as one transaction and acknowledges it; each future then resolves
    with ``None``, or with the :class:`DecisionLogError` that stopped its transaction
    (nothing of it is then written). Records arriving while a transaction runs go into the
    next one, so a commit carries many answers under load and one alone when idle.

    Why a process: a commit's waits (SQLite's fsync, PostgreSQL's answer) release the
    interpreter lock, but every return from them needs it back, and beside a busy event loop
    each return waited its turn, so a commit took several times its own time and every
    answer waiting on it with it. In a process of its own a commit takes its own time, and
    the chaining and hashing leave the event loop too. The process ends at the end of its
    input (with its worker, even one that was killed), after committing what it received;
    it ignores SIGINT and SIGTERM (its worker closes it once draining is over). If it dies,
    what it had not acknowledged fails (503: never answered as recorded) and a new one
    starts after ``retry_s``; it reloads the chain's head from the database, as it does
    after a failed transaction, and probes the store every ``retry_s`` meanwhile;
    ``healthy`` tells.
    """

    def __init__(self, url: str, *, max_pending: int = 100_000, retry_s: float = 0.5,
                 on_commit: Callable[[int, float], None] | None = None) -> None:
        self.url = url
        # Migrations now (waiting for other workers' locks): a log that cannot be opened
        # stops the start-up here, with its one line.
        open_store(url).close()
        self.chain_id = decision_ids(1)[0]
        self.writer = f"pid {os.getpid()} on {os.uname().nodename}"
        self.max_pending = max_pending
        self.retry_s = retry_s
        self.on_commit = on_commit
        self.healthy = True
        self.last_error: str | None = None
        # Ticket -> (future, records, monotonic time submitted), in submission order: the
        # process acknowledges in that order.
        self._waiting: dict[int, tuple[asyncio.Future[Any], int, float]] = {}
        self._tickets = itertools.count()
        self._pending = 0
        self._closing = False
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the writer process (and the task reading its acknowledgements)."""
        await self._spawn()

    async def _spawn(self) -> None:
        # The child imports this module from wherever the worker found it (its path).
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WRITER_MAIN, *(p for p in sys.path if p),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        if proc.stdin is None or proc.stdout is None:  # pragma: no cover - PIPE asked
            raise RuntimeError("the writer process has no pipes")
        # The URL travels on the pipe, not the command line (ps shows that to everyone).
        proc.stdin.write(frame(("setup", self.url, self.chain_id, self.writer,
                                self.retry_s)))
        self._proc = proc
        self._reader = asyncio.create_task(self._read(proc), name="decision-log")

    def submit(self, rows: list[tuple[Any, ...]]) -> asyncio.Future[Any]:
        """Queue ``rows``; the future resolves to ``None`` once they are committed, or to
        the exception that stopped them (at once while the writer process restarts).
        Raises :class:`DecisionLogError` at once when the writer is closed or too much is
        pending."""
        proc = self._proc
        if self._closing or proc is None or proc.stdin is None:
            raise DecisionLogError("the decision log is closed")
        if proc.returncode is not None:
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_result(DecisionLogError(self.last_error or "the decision log's "
                                               "writer process is restarting"))
            return failed
        if self._pending + len(rows) > self.max_pending:
            raise DecisionLogError(f"the decision log is behind ({self._pending:,} records "
                                   "pending)")
        ticket = next(self._tickets)
        try:
            data = frame((ticket, rows))
        except ValueError as exc:  # a value marshal cannot carry: a bug, named
            raise DecisionLogError(f"a record cannot be written: {exc}") from None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[ticket] = (future, len(rows), time.monotonic())
        self._pending += len(rows)
        proc.stdin.write(data)
        return future

    @property
    def pid(self) -> int | None:
        """The writer process's id (``None`` before :meth:`start`)."""
        return None if self._proc is None else self._proc.pid

    def stalled(self, seconds: float) -> bool:
        """True while a record has waited for its commit more than ``seconds``."""
        oldest = next(iter(self._waiting.values()), None)  # submission order: the oldest
        return oldest is not None and time.monotonic() - oldest[2] > seconds

    async def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then end the process."""
        self._closing = True
        proc, reader = self._proc, self._reader
        if proc is None or reader is None:
            return
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()  # its end of input: it commits what it has, then exits
        try:
            await asyncio.wait_for(asyncio.shield(reader), timeout)
        except TimeoutError:  # a write the store never answered: the process is stuck
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await reader

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        """Resolve the futures as the process acknowledges their transactions; when it
        ends, fail what it did not acknowledge and (unless closing) start a new one."""
        stream = proc.stdout
        if stream is None:  # pragma: no cover - PIPE asked
            return
        try:
            while True:
                (n,) = _FRAME.unpack(await stream.readexactly(_FRAME.size))
                data = await stream.readexactly(n)
                # Frames from this worker's own writer process, on a pipe no one else has.
                self._message(marshal.loads(data))  # nosec B302
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the process ended
        await proc.wait()
        ended = DecisionLogError(f"the decision log's writer process ended (exit code "
                                 f"{proc.returncode}); its records are not committed")
        waiting, self._waiting, self._pending = self._waiting, {}, 0
        for future, _, _ in waiting.values():
            if not future.done():
                future.set_result(ended)
        if self._closing:
            return
        self.healthy, self.last_error = False, str(ended)
        await asyncio.sleep(self.retry_s)
        if not self._closing:
            await self._spawn()

    def _message(self, message: tuple[Any, ...]) -> None:
        if message[0] == "status":
            _, self.healthy, self.last_error = message
            return
        _, tickets, error, n, seconds = message
        self.healthy, self.last_error = error is None, error
        if error is None and self.on_commit is not None:
            self.on_commit(n, seconds)
        outcome = None if error is None else DecisionLogError(error)
        for ticket in tickets:
            future, k, _ = self._waiting.pop(ticket)
            self._pending -= k
            if not future.done():  # cancelled at the deadline: only its handle
                future.set_result(outcome)


# --------------------------------------------------------------------------- the writer process

_FRAME = struct.Struct(">I")  # a frame: its length, then marshal data (plain values only)
_WRITER_MAIN = ("import sys; sys.path[:0] = sys.argv[1:]; "
                "from scorecard.data.decision_log import serve_writer; sys.exit(serve_writer())")
LOCK_RETRY_S = 10.0  # SQLite: how long a transaction retries a file another writer holds


def frame(value: Any) -> bytes:
    """``value`` (tuples, lists, text, numbers, ``None``) as one frame of the writer's
    pipes."""
    data = marshal.dumps(value)
    return _FRAME.pack(len(data)) + data


class _Frames:
    """The frames arriving on a file descriptor."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = bytearray()
        self.eof = False

    def _complete(self) -> list[Any]:
        out, at, end = [], 0, len(self.buf)
        with memoryview(self.buf) as view:
            while end - at >= _FRAME.size:
                (n,) = _FRAME.unpack_from(view, at)
                if end - at < _FRAME.size + n:
                    break
                # Frames from the worker that started this process, on a private pipe.
                out.append(marshal.loads(view[at + _FRAME.size:at + _FRAME.size + n]))  # nosec B302
                at += _FRAME.size + n
        del self.buf[:at]  # once per read: a read may hold thousands of frames
        return out

    def read(self, timeout: float | None) -> list[Any]:
        """Every frame that has arrived, waiting up to ``timeout`` s (``None``: until one
        comes or the input ends) when none has."""
        frames = self._complete()
        while not self.eof:
            ready, _, _ = select.select([self.fd], [], [], 0 if frames else timeout)
            if not ready:
                break
            data = os.read(self.fd, 1 << 20)
            if not data:
                self.eof = True
                break
            self.buf += data
            frames += self._complete()
        return frames


T = TypeVar("T")


def _retry_locked(step: Callable[[], T], seconds: float = LOCK_RETRY_S) -> T:
    """``step()``, tried again for up to ``seconds`` while another connection holds the
    SQLite file: the writer process's connection has no busy timeout of its own, and
    opening one (switching to WAL) needs the file for a moment just as a transaction
    does."""
    until = time.monotonic() + seconds
    while True:
        try:
            return step()
        except (sqlite3.OperationalError, DecisionLogError) as exc:
            if "database is locked" not in str(exc) or time.monotonic() > until:
                raise
        time.sleep(0.005)  # let the other writer finish


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip()[:300]}"


class _Writer:
    """The writer process's state: its store connection, its chain as committed, and
    whether its worker still reads answers."""

    def __init__(self, url: str, chain_id: str, writer: str, out: Any) -> None:
        self.url, self.writer, self.out = url, writer, out
        self.chain = Chain(chain_id)
        self.store: DecisionStore | None = None
        self.healthy = True
        self.worker_there = True
        self.stop = threading.Event()
        self.checkpointer: threading.Thread | None = None

    def send(self, message: tuple[Any, ...]) -> None:
        # A worker that is gone (killed) reads no more answers, but what it handed over is
        # still committed: the input ends once the pipe is drained.
        if self.worker_there:
            try:
                self.out.write(frame(message))
            except BrokenPipeError:
                self.worker_there = False

    def connect(self) -> None:
        """(Re)connect and reload the chain's head as the database anchors it."""
        old, self.store = self.store, None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        store = _retry_locked(lambda: open_store(self.url, migrate=False, busy_s=0.0))
        try:
            if isinstance(store, SqliteStore):
                store.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer's
            store.ping()
            self.chain = store.head(self.chain.chain_id)
        except BaseException:
            with contextlib.suppress(Exception):
                store.close()
            raise
        self.store = store
        if isinstance(store, SqliteStore) and self.checkpointer is None:
            self.checkpointer = threading.Thread(
                target=_checkpoint_loop, args=(store.path, self.stop, lambda: self.chain.head_seq),
                name="decision-log-checkpoint", daemon=True)
            self.checkpointer.start()

    def probe(self) -> None:
        """Idle and failing: try the store again; say so once it answers."""
        try:
            self.connect()
        except Exception:
            return  # still failing: the last error stands
        self.healthy = True
        self.send(("status", True, None))

    def commit(self, rows: list[tuple[Any, ...]]) -> str | None:
        """Chain and commit ``rows`` in one transaction; the error that stopped it, or
        ``None``."""
        try:
            if not self.healthy or self.store is None:
                self.connect()
            store = self.store
            if store is None:  # pragma: no cover - connect() sets it or raises
                raise DecisionLogError("the decision log is not connected")
            plan, head = append_plan(self.chain, rows, self.writer)
            _retry_locked(lambda: store.write(plan))
            self.chain, self.healthy = head, True
            return None
        except Exception as exc:  # every failure is the callers' 503
            self.healthy = False
            return _error(exc)

    def close(self) -> None:
        self.stop.set()
        if self.checkpointer is not None:
            self.checkpointer.join(5)
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.store.close()


def serve_writer(fd_in: int = 0, fd_out: int = 1) -> int:
    """The writer process of a :class:`GroupWriter`: a set-up frame, then ``(ticket,
    rows)`` frames on ``fd_in``; every frame that has arrived goes into one transaction,
    acknowledged on ``fd_out`` by ``("ack", tickets, error, records, seconds)`` (``error``:
    ``None`` once committed); ``("status", healthy, error)`` once connected (or not) at its
    start and when a probe of a failing store succeeds. Ends at the end of its input."""
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    if fd_out == 1:  # the frames keep the pipe; a stray print goes to stderr instead
        fd_out = os.dup(1)
        os.dup2(2, 1)
    frames = _Frames(fd_in)
    items = frames.read(None)
    if not items or items[0][0] != "setup":
        return 2
    _, url, chain_id, writer_name, retry_s = items.pop(0)
    writer = _Writer(url, chain_id, writer_name, os.fdopen(fd_out, "wb", buffering=0))
    try:
        writer.connect()
        writer.send(("status", True, None))
    except Exception as exc:
        writer.healthy = False
        writer.send(("status", False, _error(exc)))
    try:
        while True:
            if not items:
                items = frames.read(None if writer.healthy else retry_s)
            if not items:
                if frames.eof:
                    return 0
                writer.probe()
                continue
            tickets = [t for t, _ in items]
            rows = [r for _, group in items for r in group]
            items = []
            t0 = time.perf_counter()
            error = writer.commit(rows)
            writer.send(("ack", tickets, error, len(rows), time.perf_counter() - t0))
    finally:
        writer.close()


def _checkpoint_loop(path: Path, stop: threading.Event, head: Callable[[], int]) -> None:
    """SQLite: copy the WAL into the database file every :data:`CHECKPOINT_EVERY_S` while
    records arrive, on a connection and thread of its own. ``PASSIVE`` never waits for the
    writer, so commits go on meanwhile; a checkpoint that another worker holds, or one that
    fails, is simply tried again next time."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=0)
    except sqlite3.Error:
        return
    seen = head()
    try:
        while not stop.wait(CHECKPOINT_EVERY_S):
            if head() == seen:
                continue
            seen = head()
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.close()


@functools.lru_cache(maxsize=128)
def numbered(sql: str) -> str:
    """``sql`` with its ``?`` marks as PostgreSQL's ``$1, $2, ...`` (the statements here
    hold no ``?`` inside a literal)."""
    parts = sql.split("?")
    out = [parts[0]]
    for i, part in enumerate(parts[1:], 1):
        out += [f"${i}", part]
    return "".join(out)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class Finding:
    """One broken link: the record (or chain) and what is wrong with it."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def verify(store: DecisionStore) -> tuple[int, list[Finding]]:
    """Walk every chain from its base to its head; returns (records checked, findings).
    No finding means no record was altered, deleted, inserted or reordered since written
    (short of rewriting a chain and its anchor from the tampered record on)."""
    findings: list[Finding] = []
    checked = 0
    anchored = {c["chain_id"]: c for c in store.chains()}
    for cid, chain in anchored.items():
        expected, prev = int(chain["base_seq"]) + 1, chain["base_hash"]
        last_id = None
        for rec in store.records("chain_id = ?", (cid,), order="seq"):
            checked += 1
            did, seq = rec["decision_id"], int(rec["seq"])
            row = [rec[f] for f in FIELDS]
            if seq <= int(chain["base_seq"]):
                findings.append(Finding(f"decision {did}", f"seq {seq} of chain {cid} is at "
                                        "or before the chain's purge checkpoint (inserted)"))
                continue
            if seq > expected:
                gap = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
                findings.append(Finding(f"decision {did}", f"record(s) {gap} of chain {cid} "
                                        "before it are missing (deleted)"))
            if record_hash(row, rec[SHADOW]) != rec["hash"]:
                findings.append(Finding(f"decision {did}", "its content does not match its "
                                        "hash (altered)"))
            elif rec["prev_hash"] != prev and seq == expected:
                findings.append(Finding(f"decision {did}", "it does not follow its "
                                        "predecessor in the chain (inserted, reordered or a "
                                        "predecessor altered)"))
            prev, expected, last_id = rec["hash"], seq + 1, did
        head_seq = int(chain["head_seq"])
        if expected - 1 < head_seq:
            after = f" after decision {last_id}" if last_id else ""
            findings.append(Finding(f"chain {cid}", f"record(s) {expected}-{head_seq}{after} "
                                    "are missing (deleted); the anchor's head is "
                                    f"{head_seq}"))
        elif expected - 1 > head_seq or prev != chain["head_hash"]:
            findings.append(Finding(f"chain {cid}", f"its records end at {expected - 1} "
                                    f"({last_id}), not at the anchored head {head_seq} "
                                    "(inserted or altered)"))
    for rec in store.records("chain_id NOT IN (SELECT chain_id FROM chains)"):
        checked += 1
        findings.append(Finding(f"decision {rec['decision_id']}", f"chain {rec['chain_id']} "
                                "is not anchored (inserted)"))
    n, more = verify_overrides(store)
    return checked + n, findings + more


def verify_overrides(store: DecisionStore) -> tuple[int, list[Finding]]:
    """Walk the overrides' chain from its base to its head, as :func:`verify` walks a
    decision chain; returns (overrides checked, findings naming each override)."""
    findings: list[Finding] = []
    anchor = store.execute("SELECT base_seq, base_hash, head_seq, head_hash FROM "
                           "override_chain WHERE chain_id = ?", (OVERRIDE_CHAIN,)).fetchone()
    store.commit()
    if anchor is None:
        return 0, [Finding("the overrides' chain", "its anchor is missing (deleted)")]
    base_seq, prev, head_seq, head_hash = int(anchor[0]), anchor[1], int(anchor[2]), anchor[3]
    expected, last = base_seq + 1, None
    overrides = store.overrides()
    for rec in overrides:
        seq = int(rec["seq"])
        name = f"override {rec['override_id']} of decision {rec['decision_id']}"
        if seq <= base_seq:
            findings.append(Finding(name, f"seq {seq} is at or before the overrides' purge "
                                    "checkpoint (inserted)"))
            continue
        if seq > expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
            findings.append(Finding(name, f"override(s) {gap} before it are missing "
                                    "(deleted)"))
        if override_hash([rec[f] for f in OVERRIDE_FIELDS]) != rec["hash"]:
            findings.append(Finding(name, "its content does not match its hash (altered)"))
        elif rec["prev_hash"] != prev and seq == expected:
            findings.append(Finding(name, "it does not follow its predecessor in the "
                                    "overrides' chain (inserted, reordered or a predecessor "
                                    "altered)"))
        prev, expected, last = rec["hash"], seq + 1, rec["override_id"]
    if expected - 1 < head_seq:
        after = f" after override {last}" if last else ""
        findings.append(Finding("the overrides' chain", f"override(s) {expected}-{head_seq}"
                                f"{after} are missing (deleted)"))
    elif expected - 1 > head_seq or prev != head_hash:
        findings.append(Finding("the overrides' chain", f"its overrides end at "
                                f"{expected - 1} ({last}), not at the anchored head "
                                f"{head_seq} (inserted or altered)"))
    return len(overrides), findings

