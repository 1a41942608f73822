"""The decision log: one record per answer, in SQLite or PostgreSQL, hash-chained.

Stdlib only (``psycopg`` is imported when a ``postgresql://`` URL is opened), so the API
imports it without the training stack.

* :func:`decision_ids` — time-ordered ids (UUIDv7 layout: 48 bits of Unix milliseconds, a
  per-process counter within the millisecond, 62 random bits): unique across workers and
  hosts without coordination, and sorting as text sorts by time.
* :func:`open_store` — ``sqlite:///relative.db``, ``sqlite:////absolute.db`` (WAL, full
  fsync at each commit) or ``postgresql://user@host:port/db``; one schema, applied by
  versioned :data:`MIGRATIONS` (several workers may start at once).
* :class:`GroupWriter` — a writer thread per process: records queued while a transaction
  runs go into the next one, so a commit carries many answers under load and one alone when
  idle. A record's callback runs only after its transaction committed.
* Tamper evidence: each writer is one chain. A record carries ``seq`` (its place in the
  chain), ``prev_hash`` (the hash of its predecessor) and ``hash`` (SHA-256 of every other
  field and ``prev_hash``); the ``chains`` table anchors each chain's base (the genesis, or
  the last purged record) and head, updated in the same transaction as the records.
  :func:`verify` names every record altered, deleted, inserted or reordered.
* :meth:`DecisionStore.purge` deletes a prefix of every chain and moves its base there (a
  checkpoint), so :func:`verify` still holds for what remains.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The record's columns, in table and hash order. ``hash`` is over all the others.
FIELDS = ("decision_id", "chain_id", "seq", "received", "endpoint", "model_id",
          "content_hash", "applicant_id", "inputs", "pd", "score", "grade", "decision",
          "policy", "reasons", "reason_method", "api_key_id", "latency_ms", "prev_hash",
          "hash")
# What the API fills in; the writer adds chain_id, seq, prev_hash and hash.
ANSWER_FIELDS = tuple(f for f in FIELDS if f not in ("chain_id", "seq", "prev_hash", "hash"))
GENESIS = "0" * 64  # the predecessor of a chain's first record

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
}
SCHEMA_VERSION = max(MIGRATIONS)
_MIGRATION_LOCK = 7_318_842  # PostgreSQL advisory lock key: one migrator at a time


class DecisionLogError(ValueError):
    """The log cannot be opened or used as asked (a bad URL, a missing driver, a database
    that refuses the connection); the message names the URL without its password."""


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


def utc_now() -> str:
    """The current time as the log writes it: ISO 8601 UTC to the microsecond, ``Z``; text
    order is time order."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def record_hash(row: Sequence[Any]) -> str:
    """SHA-256 of a record's fields before ``hash`` (``prev_hash`` included)."""
    return hashlib.sha256(canonical(list(row[:-1])).encode()).hexdigest()


# --------------------------------------------------------------------------- the store


def redact(url: str) -> str:
    """``url`` without its password, for messages."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        auth, _, rest = tail.rpartition("@")
        user = auth.split(":", 1)[0]
        return f"{head}{sep}{user}:***@{rest}" if ":" in auth else url
    return url


def open_store(url: str, *, migrate: bool = True) -> DecisionStore:
    """The store at ``url``, its schema migrated to :data:`SCHEMA_VERSION`; raises
    :class:`DecisionLogError` with one line naming what is wrong."""
    url = url.strip()
    if url.startswith("sqlite://"):
        store: DecisionStore = SqliteStore(url)
    elif url.startswith(("postgresql://", "postgres://")):
        store = PostgresStore(url)
    else:
        raise DecisionLogError(f"decision log {redact(url)!r}: not a sqlite:///PATH or "
                               "postgresql://... URL")
    if migrate:
        store.migrate()
    return store


@dataclass
class Chain:
    """A writer's chain as anchored: its last committed ``seq`` and ``hash``."""

    chain_id: str
    head_seq: int = 0
    head_hash: str = GENESIS


class DecisionStore:
    """One connection to the log (not shared between threads)."""

    url: str
    placeholder = "?"

    def __init__(self, url: str) -> None:
        self.url = url
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
        seq, prev = chain.head_seq, chain.head_hash
        full = []
        for row in rows:
            seq += 1
            record = (row[0], chain.chain_id, seq, *row[1:], prev, "")
            prev = record_hash(record)
            full.append((*record[:-1], prev))
        marks = ", ".join("?" * len(FIELDS))
        self.begin()
        try:
            self.executemany(f"INSERT INTO decisions ({', '.join(FIELDS)}) VALUES ({marks})",
                             full)
            if chain.head_seq == 0:
                self.execute("INSERT INTO chains VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT "
                             "(chain_id) DO UPDATE SET head_seq = excluded.head_seq, "
                             "head_hash = excluded.head_hash",
                             (chain.chain_id, utc_now(), writer, GENESIS, seq, prev))
            else:
                self.execute("UPDATE chains SET head_seq = ?, head_hash = ? WHERE chain_id = ?",
                             (seq, prev, chain.chain_id))
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return Chain(chain.chain_id, seq, prev)

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
            sql = (f"SELECT {', '.join(FIELDS)} FROM decisions"
                   + (f" WHERE {' AND '.join(f'({c})' for c in clauses)}" if clauses else "")
                   + f" ORDER BY {order} LIMIT {batch}")
            rows = self.execute(sql, args).fetchall()
            self.commit()
            for r in rows:
                yield dict(zip(FIELDS, r, strict=True))
            if len(rows) < batch:
                return
            last = tuple(rows[-1][FIELDS.index(k)] for k in keys)

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
        return removed

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
                                        timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
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


# --------------------------------------------------------------------------- the writer


Done = Callable[[BaseException | None], None]


class GroupWriter:
    """A thread that commits queued records in groups, one chain per writer.

    :meth:`submit` queues rows (:data:`ANSWER_FIELDS` order) with a callback; the thread
    takes everything queued (at most ``max_records``), commits it as one transaction and
    calls each callback with ``None``, or with the exception when the transaction failed
    (nothing of it is then written). After a failure it reconnects, reloads the chain's head
    from the database and probes every ``retry_s`` until the store answers again;
    ``healthy`` tells meanwhile.
    """

    def __init__(self, url: str, *, max_records: int = 1000, max_pending: int = 100_000,
                 linger_s: float = 0.0, retry_s: float = 0.5,
                 on_commit: Callable[[int, float], None] | None = None) -> None:
        self.url = url
        self.store = open_store(url)
        self.chain = Chain(decision_ids(1)[0])
        self.writer = f"pid {os.getpid()} on {os.uname().nodename}"
        self.max_records = max_records
        self.max_pending = max_pending
        self.linger_s = linger_s
        self.retry_s = retry_s
        self.on_commit = on_commit
        self.healthy = True
        self.last_error: str | None = None
        self.busy_since: float | None = None  # monotonic start of the running commit
        self._queue: list[tuple[list[tuple[Any, ...]], Done]] = []
        self._pending = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()

    def submit(self, rows: list[tuple[Any, ...]], done: Done) -> None:
        """Queue ``rows``; ``done`` runs in the writer thread once they are committed (or
        failed). Raises :class:`DecisionLogError` at once when too much is pending."""
        with self._cond:
            if self._stop:
                raise DecisionLogError("the decision log is closed")
            if self._pending + len(rows) > self.max_pending:
                raise DecisionLogError(f"the decision log is behind ({self._pending:,} "
                                       "records pending)")
            self._queue.append((rows, done))
            self._pending += len(rows)
            self._cond.notify()

    def stalled(self, seconds: float) -> bool:
        """True while a commit has been running for more than ``seconds``."""
        since = self.busy_since
        return since is not None and time.monotonic() - since > seconds

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout)
        self.store.close()

    def _take(self) -> list[tuple[list[tuple[Any, ...]], Done]] | None:
        with self._cond:
            while not self._queue and not self._stop:
                self._cond.wait(self.retry_s if not self.healthy else None)
                if not self.healthy and not self._queue:
                    return []
            if not self._queue:
                return None
            if self.linger_s and self._pending < self.max_records:
                self._cond.wait(self.linger_s)
            group, n = [], 0
            while self._queue and (not group or n + len(self._queue[0][0]) <= self.max_records):
                item = self._queue.pop(0)
                group.append(item)
                n += len(item[0])
            self._pending -= n
            return group

    def _run(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            if not group:  # unhealthy and idle: probe
                self._recover()
                continue
            rows = [r for g in group for r in g[0]]
            t0 = time.perf_counter()
            self.busy_since = time.monotonic()
            error: BaseException | None = None
            try:
                if not self.healthy:
                    self._recover()
                    if not self.healthy:
                        raise DecisionLogError(self.last_error or "the decision log is down")
                self.chain = self.store.append(self.chain, rows, self.writer)
            except Exception as exc:  # every failure is the callers' 503
                error = exc
                self.healthy = False
                self.last_error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
            elapsed = time.perf_counter() - t0
            self.busy_since = None
            if error is None and self.on_commit is not None:
                self.on_commit(len(rows), elapsed)
            for _, done in group:
                with contextlib.suppress(Exception):  # a callback never stops the writer
                    done(error)

    def _recover(self) -> None:
        try:
            self.store.close()
            self.store = open_store(self.url, migrate=False)
            self.store.ping()
            self.chain = self.store.head(self.chain.chain_id)
            self.healthy, self.last_error = True, None
        except Exception as exc:
            self.healthy = False
            self.last_error = f"{type(exc).__name__}: {str(exc).strip()[:300]}"


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
            if record_hash(row) != rec["hash"]:
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
    return checked, findings
