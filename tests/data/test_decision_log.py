"""The decision log's store on a real SQLite file and a real PostgreSQL 15 (started by
``tests.support.postgres``): ids, migrations, group commits, the hash chain that names every
tampered record, and purges that leave the chain verifiable."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from scorecard.data.decision_log import (
    ANSWER_FIELDS,
    CHECKPOINT_EVERY_S,
    FIELDS,
    MIGRATIONS,
    SCHEMA_VERSION,
    DecisionLogError,
    DecisionStore,
    GroupWriter,
    OverrideError,
    decision_ids,
    numbered,
    open_store,
    utc_now,
    verify,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/log.db"
    return str(request.getfixturevalue("postgres_url"))


def answer(i: int, received: str | None = None) -> tuple[Any, ...]:
    """A record as the API hands it over (ANSWER_FIELDS order)."""
    values = {"decision_id": decision_ids()[0], "received": received or utc_now(),
              "endpoint": "score", "model_id": "m", "content_hash": "sha256:00",
              "applicant_id": f"a{i}", "inputs": f'{{"age":{20 + i}}}', "pd": 0.01 * (i % 97 + 1),
              "score": 500 + i, "grade": "C", "decision": None, "policy": None,
              "reasons": '["K1"]', "reason_method": "max", "api_key_id": None,
              "latency_ms": 0.5}
    assert tuple(values) == ANSWER_FIELDS
    return tuple(values.values())


def run_writer(url: str, groups: list[list[tuple[Any, ...]]], **kwargs: Any
               ) -> list[BaseException | None]:
    """``groups`` submitted at once to a GroupWriter in its own event loop; the outcome of
    each."""
    async def go() -> list[BaseException | None]:
        writer = GroupWriter(url, **kwargs)
        await writer.start()
        futures = [writer.submit(g) for g in groups]
        out = [await f for f in futures]
        await writer.close()
        return out

    return asyncio.run(go())


def write(url: str, n: int, **kwargs: Any) -> list[str]:
    """``n`` records through a GroupWriter, each submitted alone; all committed."""
    groups = [[answer(i)] for i in range(n)]
    assert run_writer(url, groups, **kwargs) == [None] * n
    return [g[0][0] for g in groups]


def tamper(store: DecisionStore, sql: str, *params: Any) -> None:
    store.begin()
    store.execute(sql, params)
    store.commit()


def findings(url: str) -> list[str]:
    return [str(f) for f in verify(open_store(url))[1]]


# --------------------------------------------------------------------------- ids


def test_decision_ids_are_uuid7_unique_and_time_ordered_across_processes() -> None:
    code = "from scorecard.data.decision_log import decision_ids; print(*decision_ids(2000))"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, cwd=Path(__file__).resolve().parents[2]).stdout.split()
            for _ in range(2)]
    ids = [*runs[0], *runs[1], *decision_ids(5000)]
    assert len(set(ids)) == len(ids) == 9000
    for run in (runs[0], runs[1]):
        assert run == sorted(run)  # within a process: strictly increasing
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122
               for i in ids)
    # Across processes, ordered by their millisecond: the second run started later.
    assert runs[0][0][:13] <= runs[1][0][:13]


def test_utc_now_is_iso_utc_to_the_microsecond_and_agrees_with_the_clock() -> None:
    from datetime import UTC, datetime

    before = datetime.now(UTC)
    stamps = [utc_now() for _ in range(2000)]
    after = datetime.now(UTC)
    assert stamps == sorted(stamps)
    for stamp in (stamps[0], stamps[-1]):
        assert len(stamp) == 27 and stamp.endswith("Z")
        parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert before <= parsed <= after


def test_question_marks_become_postgresqls_numbered_marks_in_order() -> None:
    assert numbered("INSERT INTO t (a, b) VALUES (?, ?), (?, ?)") == \
        "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    assert numbered("SELECT 1") == "SELECT 1"


# --------------------------------------------------------------------------- store


def test_a_url_that_cannot_be_opened_is_one_line_naming_it(tmp_path: Path) -> None:
    for url, words in ((f"sqlite:///{tmp_path}/missing/log.db", "does not exist"),
                       ("mysql://x/y", "not a sqlite"),
                       ("postgresql://nobody:secret@127.0.0.1:1/db", "cannot connect")):
        with pytest.raises(DecisionLogError, match=words) as info:
            open_store(url)
        assert "\n" not in str(info.value) and "secret" not in str(info.value)


def test_migrations_are_versioned_and_idempotent(log_url: str) -> None:
    store = open_store(log_url)
    assert store.version() == SCHEMA_VERSION == max(MIGRATIONS)
    assert open_store(log_url).migrate() == SCHEMA_VERSION  # a second worker starting
    rows = store.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    store.commit()
    assert [r[0] for r in rows] == sorted(MIGRATIONS) == [1, 2, 3, 4]


def test_records_are_committed_when_their_future_resolves_and_chain_intact(
        log_url: str) -> None:
    reader = open_store(log_url)
    row = answer(1)

    async def go() -> tuple[BaseException | None, bool]:
        writer = GroupWriter(log_url)
        await writer.start()
        error = await writer.submit([row])
        seen = reader.get(row[0]) is not None  # another connection sees it already
        await writer.close()
        return error, seen

    assert asyncio.run(go()) == (None, True)
    checked, found = verify(reader)
    assert checked == 1 and found == []


def test_connections_opening_a_new_sqlite_log_at_once_all_open(tmp_path: Path) -> None:
    # Each new file is switched to WAL by several connections at the same instant: SQLite
    # answers all but one "locked" at once, whatever their busy timeout.
    errors: list[BaseException] = []

    def open_one(url: str, start: threading.Barrier) -> None:
        start.wait()
        try:
            open_store(url, migrate=False).close()
        except BaseException as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    for k in range(20):
        url, start = f"sqlite:///{tmp_path}/log{k}.db", threading.Barrier(6)
        threads = [threading.Thread(target=open_one, args=(url, start)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []


def test_two_writers_at_once_keep_two_intact_chains(log_url: str) -> None:
    threads = [threading.Thread(target=write, args=(log_url, 300)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store = open_store(log_url)
    assert store.count() == 600 and len(store.chains()) == 2
    assert verify(store) == (600, [])


def test_editing_one_pd_by_hand_names_that_decision(log_url: str) -> None:
    ids = write(log_url, 20)
    store = open_store(log_url)
    tamper(store, "UPDATE decisions SET pd = 0.5 WHERE decision_id = ?", ids[7])
    assert findings(log_url) == [f"decision {ids[7]}: its content does not match its hash "
                                 "(altered)"]


def test_deleted_inserted_and_reordered_records_are_named(log_url: str) -> None:
    ids = write(log_url, 10)
    store = open_store(log_url)
    tamper(store, "DELETE FROM decisions WHERE decision_id = ?", ids[3])
    assert findings(log_url) == [f"decision {ids[4]}: record(s) 4 of chain "
                                 f"{store.chains()[0]['chain_id']} before it are missing "
                                 "(deleted)"]
    # The last record deleted: only the anchor knows.
    ids = write(log_url, 5)
    chain = open_store(log_url).chains()[-1]["chain_id"]
    tamper(store, "DELETE FROM decisions WHERE decision_id = ?", ids[-1])
    assert any(f.startswith(f"chain {chain}: record(s) 5-5 after decision {ids[-2]}")
               for f in findings(log_url))


def test_a_swapped_pair_and_a_forged_record_are_named(log_url: str) -> None:
    ids = write(log_url, 6)
    store = open_store(log_url)
    # Reorder: swap the places of records 2 and 3 (their seq): both fail their hash, and
    # record 4 no longer follows the record now before it.
    tamper(store, "UPDATE decisions SET seq = -1 WHERE decision_id = ?", ids[1])
    tamper(store, "UPDATE decisions SET seq = 2 WHERE decision_id = ?", ids[2])
    tamper(store, "UPDATE decisions SET seq = 3 WHERE decision_id = ?", ids[1])
    assert findings(log_url) == [
        f"decision {ids[2]}: its content does not match its hash (altered)",
        f"decision {ids[1]}: its content does not match its hash (altered)",
        f"decision {ids[3]}: it does not follow its predecessor in the chain (inserted, "
        "reordered or a predecessor altered)"]
    # A forged record in a chain nobody anchored.
    forged = (decision_ids()[0], "no-such-chain", 1, *answer(0)[1:], "0" * 64, "f" * 64)
    tamper(store, f"INSERT INTO decisions ({', '.join(FIELDS)}) VALUES ("
           + ", ".join("?" * len(forged)) + ")", *forged)
    assert f"decision {forged[0]}: chain no-such-chain is not anchored (inserted)" in \
        findings(log_url)


def test_purge_removes_old_records_and_verify_still_holds(log_url: str) -> None:
    old = [answer(i, f"2024-0{1 + i % 3}-15T00:00:00.000000Z") for i in range(6)]
    new = [answer(i, f"2026-0{1 + i % 3}-15T00:00:00.000000Z") for i in range(4)]
    assert run_writer(log_url, [old, new]) == [None, None]
    store = open_store(log_url)
    removed = store.purge("2025-01-01T00:00:00.000000Z")
    assert sum(removed.values()) == 6 and store.count() == 4
    assert verify(store) == (4, [])
    assert store.purge("2025-01-01T00:00:00.000000Z") == {}  # nothing more to purge
    # The checkpoint is anchored: deleting the first remaining record is still named.
    first = next(store.records(order="seq"))
    tamper(store, "DELETE FROM decisions WHERE decision_id = ?", first["decision_id"])
    assert findings(log_url)[0].endswith("before it are missing (deleted)")


def _fails_one_group_then_recovers(url: str, break_it: str, mend: str | None) -> None:
    """A writer commits, the store breaks (``break_it``, SQL run on another connection),
    the next group fails and the writer turns unhealthy, the store is mended (``mend``, or
    nothing: the writer reconnects by itself), and the writer recovers and commits again."""
    store = open_store(url)

    async def go() -> None:
        writer = GroupWriter(url, retry_s=0.05)
        await writer.start()
        assert await writer.submit([answer(0)]) is None
        tamper(store, break_it)
        assert await writer.submit([answer(1)]) is not None and not writer.healthy
        if mend is not None:
            await asyncio.sleep(0.2)
            assert not writer.healthy  # the probes fail too
            tamper(store, mend)
        for _ in range(200):
            if writer.healthy:
                break
            await asyncio.sleep(0.05)
        assert writer.healthy and await writer.submit([answer(2)]) is None
        await writer.close()

    asyncio.run(go())
    assert verify(open_store(url)) == (2, [])


def test_a_failing_store_fails_the_group_then_recovers(log_url: str) -> None:
    _fails_one_group_then_recovers(log_url, "ALTER TABLE decisions RENAME TO hidden",
                                   "ALTER TABLE hidden RENAME TO decisions")


def test_a_dropped_postgresql_connection_fails_one_group_then_the_writer_reconnects(
        postgres_url: str) -> None:
    # The server ends the writer's session, as a restart or a failover would.
    _fails_one_group_then_recovers(
        postgres_url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
        "datname = current_database() AND pid <> pg_backend_pid()", None)


def test_a_killed_writer_process_is_replaced_and_the_chain_goes_on(log_url: str) -> None:
    async def go() -> None:
        writer = GroupWriter(log_url, retry_s=0.05)
        await writer.start()
        assert await writer.submit([answer(0)]) is None
        first = writer.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        for _ in range(400):
            if writer.healthy and writer.pid != first:
                break
            await asyncio.sleep(0.025)
        assert writer.healthy and writer.pid != first
        assert await writer.submit([answer(1), answer(2)]) is None
        await writer.close()

    asyncio.run(go())
    assert verify(open_store(log_url)) == (3, [])


_KILLED_WORKER = """
import asyncio, os, signal, sys
sys.path[:0] = sys.argv[3:]
from tests.data.test_decision_log import answer
from scorecard.data.decision_log import GroupWriter

async def go():
    writer = GroupWriter(sys.argv[1])
    await writer.start()
    for i in range(int(sys.argv[2])):
        writer.submit([answer(i)])
    await asyncio.sleep(0.2)  # the frames are on the pipe; no answer was awaited
    print(writer.pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(go())
"""


def test_a_killed_worker_s_writer_process_commits_what_it_received_then_ends(
        log_url: str) -> None:
    """No record handed over is lost with a worker killed before its commits came back,
    and no writer process is left behind."""
    done = subprocess.run([sys.executable, "-c", _KILLED_WORKER, log_url, "50", *sys.path],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    pid = int(done.stdout.split()[0])
    for _ in range(400):
        try:  # gone, or a zombie its new parent has not reaped yet
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.025)
    else:
        raise AssertionError(f"the writer process {pid} outlived its worker")
    store = open_store(log_url)
    assert store.count() == 50
    assert verify(store) == (50, [])


def test_the_sqlite_writer_checkpoints_the_wal_into_the_database_file_off_the_commit_path(
        tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    url = f"sqlite:///{path}"
    open_store(url).close()
    empty = path.stat().st_size

    async def go() -> None:
        writer = GroupWriter(url)
        await writer.start()
        for start in range(0, 600, 50):
            assert await writer.submit([answer(i) for i in range(start, start + 50)]) is None
        # Nothing else opens the file meanwhile: only the writer's checkpointer can move
        # the records from the WAL into the database file.
        await asyncio.sleep(3 * CHECKPOINT_EVERY_S)
        assert path.stat().st_size > empty + 100_000
        await writer.close()

    asyncio.run(go())
    assert verify(open_store(url)) == (600, [])


# --------------------------------------------------------------------------- overrides


def referred(i: int, received: str | None = None) -> tuple[Any, ...]:
    """A referral as the API hands it over."""
    row = list(answer(i, received))
    row[ANSWER_FIELDS.index("decision")] = "refer"
    return tuple(row)


def test_overrides_are_chained_beside_the_record_and_resolve_referrals(log_url: str) -> None:
    rows = [referred(i) for i in range(4)] + [answer(9)]
    assert run_writer(log_url, [rows]) == [None]
    ids = [r[0] for r in rows]
    store = open_store(log_url)
    before = store.get(ids[0])
    assert [p["decision_id"] for p in store.page("refer", "open")] == ids[:4]
    first = store.override(ids[0], "accept", "income verified by phone", "alice", "sha256:ab")
    assert first is not None and (first["seq"], first["previous_decision"]) == (1, "refer")
    second = store.override(ids[0], "decline", "the verification was forged", "bob")
    assert second is not None and second["previous_decision"] == "accept"
    assert second["prev_hash"] == first["hash"]
    assert store.get(ids[0]) == before  # the decision's record is never changed
    assert [o["reviewer"] for o in store.overrides(ids[0])] == ["alice", "bob"]
    assert [p["decision_id"] for p in store.page("refer", "open")] == ids[1:4]
    resolved = store.page("refer", "resolved")
    assert [(p["decision_id"], p["current"], p["overrides"]) for p in resolved] == [
        (ids[0], "decline", 2)]
    assert [p["decision_id"] for p in store.page("refer", "open", after=ids[1], limit=1)] \
        == [ids[2]]
    assert store.oversight() == {"decisions": 5, "referred": 4, "referred_declines": 0,
                                 "overridden": 1, "overrides": 2, "open_referrals": 3}
    assert verify(store) == (7, [])


def test_an_override_of_an_unknown_or_same_decision_is_refused(log_url: str) -> None:
    ids = write(log_url, 1)
    store = open_store(log_url)
    assert store.override("no-such-decision", "accept", "r", "alice") is None
    store.override(ids[0], "accept", "r", "alice")
    with pytest.raises(OverrideError, match="is already 'accept'"):
        store.override(ids[0], "accept", "again", "bob")
    assert len(store.overrides()) == 1 and verify(store) == (2, [])


def test_editing_an_override_by_hand_names_that_override(log_url: str) -> None:
    ids = write(log_url, 3)
    store = open_store(log_url)
    made = [store.override(d, "accept", f"reason {i}", "alice") for i, d in enumerate(ids)]
    tamper(store, "UPDATE overrides SET decision = 'decline' WHERE seq = 2")
    assert findings(log_url) == [f"override {made[1]['override_id']} of decision {ids[1]}: "
                                 "its content does not match its hash (altered)"]
    tamper(store, "UPDATE overrides SET decision = 'accept' WHERE seq = 2")
    tamper(store, "DELETE FROM overrides WHERE seq = 3")
    assert findings(log_url) == [f"the overrides' chain: override(s) 3-3 after override "
                                 f"{made[1]['override_id']} are missing (deleted)"]


def test_overrides_from_many_threads_keep_one_intact_chain(log_url: str) -> None:
    ids = write(log_url, 40)

    def review(part: list[str]) -> None:
        store = open_store(log_url, migrate=False)
        for d in part:
            assert store.override(d, "decline", "checked", "alice") is not None
        store.close()

    threads = [threading.Thread(target=review, args=(ids[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    store = open_store(log_url)
    assert [o["seq"] for o in store.overrides()] == list(range(1, 41))
    assert verify(store) == (80, [])


def test_purge_moves_the_overrides_checkpoint_too(log_url: str) -> None:
    ids = write(log_url, 3)
    store = open_store(log_url)
    for d in ids:
        store.override(d, "accept", "r", "alice")
    store.purge("2999-01-01")
    assert store.count() == 0 and store.overrides() == []
    assert verify(store) == (0, [])


def test_a_log_written_before_the_overrides_migration_still_verifies(log_url: str) -> None:
    from scorecard.data.decision_log import MIGRATIONS, Chain

    old = open_store(log_url, migrate=False)
    old.version()
    for version in (1, 2, 4):  # the schema without migration 3 (the overrides)
        old.begin()
        for ddl in MIGRATIONS[version]:
            old.execute(ddl)
        old.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, utc_now()))
        old.commit()
    old.append(Chain(decision_ids()[0]), [referred(i) for i in range(5)], "before")
    old.close()
    store = open_store(log_url)  # migrates to the current version
    assert store.version() == SCHEMA_VERSION
    assert verify(store) == (5, [])
    assert len(store.page("refer", "open")) == 5
    first = store.page("refer", "open", limit=1)[0]["decision_id"]
    assert store.override(first, "decline", "checked", "alice") is not None
    assert verify(store) == (6, [])
