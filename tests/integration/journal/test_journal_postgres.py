"""The journal on a real PostgreSQL: transactions, the advisory lock, tamper detection."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from tests.unit.journal.journal_kit import (
    START,
    fill,
    make_journal,
    shift_seq,
    stored,
    swap,
    tamper,
)

from quorum.clock import ReplayClock
from quorum.journal import LOCK_NAMESPACE, DamageKind
from quorum.store import session_scope


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(START)


def test_entries_commit_and_roll_back_with_their_transaction(
    pg_engine: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(pg_engine, clock)
    fill(journal, 3)

    def fails_after_appending() -> None:
        with session_scope(pg_engine) as session:
            journal.append(session, "order_update", {"state": "filled"}, actor="broker")
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        fails_after_appending()

    report = journal.verify()

    assert report.ok
    assert report.count == 3
    assert [e.seq for e in journal.read()] == [1, 2, 3]


def test_an_open_append_holds_the_schema_advisory_lock(
    pg_engine: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(pg_engine, clock)
    key = text(
        f"SELECT pg_try_advisory_xact_lock(({LOCK_NAMESPACE}::bigint << 32) "
        "| 'journal_entries'::regclass::oid::bigint)"
    )
    with session_scope(pg_engine) as session:
        journal.append(session, "intent", {"id": 1}, actor="execution")
        with pg_engine.connect() as other:
            assert other.execute(key).scalar() is False
    with pg_engine.connect() as other:
        assert other.execute(key).scalar() is True


@pytest.mark.parametrize(
    ("attack", "kind", "seq"),
    [
        ("edit", DamageKind.MODIFIED, 4),
        ("delete", DamageKind.DELETED, 4),
        ("swap", DamageKind.REORDERED, 4),
        ("renumber", DamageKind.DELETED, 4),
    ],
)
def test_tampering_on_postgres_is_found_with_seq_and_kind(
    pg_engine: Engine, clock: ReplayClock, attack: str, kind: DamageKind, seq: int
) -> None:
    journal = make_journal(pg_engine, clock)
    fill(journal, 8)
    if attack == "edit":
        tamper(pg_engine, "UPDATE journal_entries SET actor = 'mallory' WHERE seq = 4")
    elif attack == "delete":
        tamper(pg_engine, "DELETE FROM journal_entries WHERE seq = 4")
    elif attack == "swap":
        swap(pg_engine, 4, 5)
    else:
        tamper(pg_engine, "DELETE FROM journal_entries WHERE seq = 4")
        shift_seq(pg_engine, 5, -1)

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (kind, seq), report.detail


def test_truncation_below_a_checkpoint_is_found_on_postgres(
    pg_engine: Engine, clock: ReplayClock, tmp_path: Path
) -> None:
    journal = make_journal(pg_engine, clock, checkpoint_dir=tmp_path / "cps", every_n=3)
    fill(journal, 6, per_commit=1)
    tamper(pg_engine, "DELETE FROM journal_entries WHERE seq > 4")

    report = journal.verify()

    assert (report.damage, report.first_bad_seq) == (DamageKind.TRUNCATED, 5)
    assert len(stored(pg_engine)) == 4


def test_the_table_refuses_truncate_unless_the_guard_is_dropped(pg_engine: Engine) -> None:
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"), pg_engine.begin() as conn:
        conn.execute(text("TRUNCATE journal_entries"))
