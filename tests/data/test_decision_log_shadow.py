"""The challengers' shadow results in the decision log (migration 4): kept beside the record,
covered by its hash when present, and records written before the column existed verify as
they were, on a real SQLite file and a real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scorecard.data.decision_log import (
    FIELDS,
    GENESIS,
    MIGRATIONS,
    Chain,
    DecisionStore,
    canonical,
    open_store,
    utc_now,
    verify,
)
from tests.data.test_decision_log import answer

SHADOW = json.dumps([{"content_hash": "sha256:11", "decision": "accept", "grade": "B",
                      "model_id": "c", "pd": 0.02, "score": 612}], separators=(",", ":"))


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/log.db"
    return str(request.getfixturevalue("postgres_url"))


def _append(store: DecisionStore, rows: list[tuple[Any, ...]], chain: Chain) -> Chain:
    return store.append(chain, rows, "test")


def test_a_shadow_is_stored_and_covered_by_the_records_hash(log_url: str) -> None:
    store = open_store(log_url)
    plain, shadowed = answer(1), (*answer(2), SHADOW)
    _append(store, [plain, shadowed], Chain("c1"))
    records = {r["decision_id"]: r for r in store.records()}
    assert records[plain[0]]["shadow"] is None
    assert records[shadowed[0]]["shadow"] == SHADOW
    assert verify(store) == (2, [])
    # The shadow edited by hand (the challenger's score): verify names that decision.
    store.begin()
    store.execute("UPDATE decisions SET shadow = ? WHERE decision_id = ?",
                  (SHADOW.replace("612", "700"), shadowed[0]))
    store.commit()
    _, findings = verify(store)
    assert [f.where for f in findings] == [f"decision {shadowed[0]}"]
    assert "altered" in findings[0].problem
    # A shadow removed is an alteration too.
    store.begin()
    store.execute("UPDATE decisions SET shadow = NULL WHERE decision_id = ?", (shadowed[0],))
    store.commit()
    assert [f.where for f in verify(store)[1]] == [f"decision {shadowed[0]}"]


def test_records_written_before_the_shadow_column_verify_after_the_migration(
        tmp_path: Path) -> None:
    """A log at schema 2, as the service wrote it before challengers: its records hashed
    by that version's rule (SHA-256 of the canonical JSON of every field before ``hash``).
    Migrated, every record still verifies and new records chain on."""
    url = f"sqlite:///{tmp_path}/old.db"
    saved = dict(MIGRATIONS)
    try:
        for version in [v for v in MIGRATIONS if v > 2]:
            del MIGRATIONS[version]
        old = open_store(url)
    finally:
        MIGRATIONS.clear()
        MIGRATIONS.update(saved)
    prev, seq = GENESIS, 0
    old.begin()
    for i in range(5):
        row = answer(i)
        seq += 1
        record = [row[0], "c1", seq, *row[1:], prev]
        prev = hashlib.sha256(canonical(record).encode()).hexdigest()
        old.execute(f"INSERT INTO decisions ({', '.join(FIELDS)}) VALUES "
                    f"({', '.join('?' * len(FIELDS))})", (*record, prev))
    old.execute("INSERT INTO chains VALUES (?, ?, ?, 0, ?, ?, ?)",
                ("c1", utc_now(), "old", GENESIS, seq, prev))
    old.commit()
    columns = [r[1] for r in old.execute("PRAGMA table_info(decisions)").fetchall()]
    old.commit()
    old.close()
    assert "shadow" not in columns
    store = open_store(url)
    assert verify(store) == (5, [])
    store.append(Chain("c1", seq, prev), [(*answer(9), SHADOW)], "new")
    assert verify(store) == (6, [])
