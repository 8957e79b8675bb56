"""Helpers shared by the journal tests (imported as ``tests.unit.journal.journal_kit``).

Building chains, reading raw rows and tampering with them the way an attacker with
database access would: switch off the append-only triggers, then edit with SQL.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from quorum.clock import ReplayClock
from quorum.domain import JournalEntry, JournalKind
from quorum.journal import (
    GENESIS_HASH,
    DirectoryCheckpointStore,
    Ed25519Signer,
    Journal,
    entry_hash,
)
from quorum.journal.rows import StoredRow
from quorum.store import create_engine_for, migrate, session_scope

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
COLUMNS = "seq, time, kind, actor, run_id, payload, prev_hash, hash"


def new_sqlite(path: Path, template: Path | None = None) -> Engine:
    """A migrated SQLite journal at ``path`` (copied from ``template`` when given)."""
    if template is not None:
        shutil.copyfile(template, path)
        return create_engine_for(f"sqlite:///{path}")
    engine = create_engine_for(f"sqlite:///{path}")
    migrate(engine)
    return engine


def make_journal(
    engine: Engine,
    clock: ReplayClock | None = None,
    *,
    signer: Ed25519Signer | None = None,
    checkpoint_dir: Path | None = None,
    every_n: int = 1000,
    every_s: float = 60.0,
) -> Journal:
    store = None if checkpoint_dir is None else DirectoryCheckpointStore(checkpoint_dir)
    if store is not None and signer is None:
        signer = Ed25519Signer.generate()
    return Journal(
        engine,
        clock or ReplayClock(START),
        signer=signer,
        checkpoint_store=store,
        checkpoint_every_n=every_n,
        checkpoint_every_s=every_s,
    )


def fill(journal: Journal, count: int, *, per_commit: int = 0) -> list[JournalEntry]:
    """Append ``count`` entries of varied kinds, actors and run ids; one transaction
    (``per_commit=0``) or one per ``per_commit`` entries."""
    kinds = list(JournalKind)
    entries: list[JournalEntry] = []
    step = per_commit or count
    for start in range(0, count, step):
        with session_scope(journal.engine) as session:
            for i in range(start, min(start + step, count)):
                entries.append(
                    journal.append(
                        session,
                        kinds[i % len(kinds)],
                        {"i": i, "note": f"entry {i} ü", "nested": {"b": [1, 2.5, None]}},
                        actor=f"agent-{i % 3}",
                        run_id=None if i % 2 else f"run-{i // 4}",
                    )
                )
    return entries


def stored(engine: Engine) -> list[StoredRow]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {COLUMNS} FROM journal_entries ORDER BY seq"))
        return [StoredRow._make(row) for row in rows]


def unguard(conn: Connection) -> None:
    """Drop the append-only triggers, as an attacker with DDL rights would."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_append_only ON journal_entries"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS journal_entries_no_delete"))


def tamper(engine: Engine, *statements: str, **params: Any) -> None:
    with engine.begin() as conn:
        unguard(conn)
        for statement in statements:
            conn.execute(text(statement), params)


def shift_seq(engine: Engine, from_seq: int, by: int) -> None:
    """Renumber every entry with ``seq >= from_seq`` by ``by`` (two steps: the primary
    key is checked row by row)."""
    tamper(
        engine,
        "UPDATE journal_entries SET seq = -(seq + :by) WHERE seq >= :start",
        "UPDATE journal_entries SET seq = -seq WHERE seq < 0",
        by=by,
        start=from_seq,
    )


def swap(engine: Engine, a: int, b: int) -> None:
    """Exchange the positions of entries ``a`` and ``b`` (all their fields move)."""
    tamper(
        engine,
        "UPDATE journal_entries SET seq = -1 WHERE seq = :a",
        "UPDATE journal_entries SET seq = :a WHERE seq = :b",
        "UPDATE journal_entries SET seq = :b WHERE seq = -1",
        a=a,
        b=b,
    )


def insert_row(engine: Engine, row: StoredRow) -> None:
    marks = ", ".join(f":{name}" for name in StoredRow._fields)
    tamper(engine, f"INSERT INTO journal_entries ({COLUMNS}) VALUES ({marks})", **row._asdict())


def rehashed(row: StoredRow, prev_hash: str, **changes: Any) -> StoredRow:
    """``row`` with ``changes`` applied, linked to ``prev_hash`` and hashed correctly."""
    changed = row._replace(prev_hash=prev_hash, **changes)
    digest = entry_hash(
        changed.seq,
        changed.time,
        changed.kind,
        changed.actor,
        changed.run_id,
        changed.prev_hash,
        changed.payload,
    )
    return changed._replace(hash=digest)


def rewrite_chain(
    engine: Engine, change: Callable[[StoredRow], StoredRow], rows: Iterable[StoredRow]
) -> None:
    """Rewrite the whole chain consistently: apply ``change`` and re-hash every row."""
    prev = GENESIS_HASH
    with engine.begin() as conn:
        unguard(conn)
        conn.execute(text("DELETE FROM journal_entries"))
        for row in rows:
            new = rehashed(change(row), prev)
            marks = ", ".join(f":{name}" for name in StoredRow._fields)
            conn.execute(
                text(f"INSERT INTO journal_entries ({COLUMNS}) VALUES ({marks})"), new._asdict()
            )
            prev = new.hash
