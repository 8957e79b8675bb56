"""Appending in the caller's transaction, and reading back."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from tests.unit.journal.journal_kit import START, fill, make_journal, stored

from quorum.clock import ReplayClock
from quorum.domain import JournalKind
from quorum.errors import ConfigError, ValidationFailed
from quorum.journal import GENESIS_HASH, Draft, entry_hash
from quorum.store import session_scope


@pytest.fixture
def counter(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return engine


def test_entries_get_gapless_seqs_from_one_linked_from_genesis(
    engine: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(engine, clock)

    entries = fill(journal, 5, per_commit=2)

    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_the_returned_entry_is_what_was_stored_and_hashed(
    engine: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(engine, clock)
    with session_scope(engine) as session:
        entry = journal.append(
            session,
            JournalKind.INTENT,
            {"qty": Decimal("0.010"), "at": START, "side": "buy"},
            actor="execution",
            run_id="run-1",
        )

    (row,) = stored(engine)
    assert entry.payload == {"at": "2025-03-01T12:00:00.000000Z", "qty": "0.010", "side": "buy"}
    assert row.payload == '{"at":"2025-03-01T12:00:00.000000Z","qty":"0.010","side":"buy"}'
    assert row.time == "2025-03-01T12:00:00.000000Z"
    assert entry.time == START
    assert (row.kind, row.actor, row.run_id) == ("intent", "execution", "run-1")
    assert (
        row.hash
        == entry.hash
        == entry_hash(1, row.time, row.kind, row.actor, row.run_id, GENESIS_HASH, row.payload)
    )


def test_an_entry_commits_with_the_state_change_it_records(
    counter: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(counter, clock)
    with session_scope(counter) as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        journal.append(session, "fill", {"n": 1}, actor="paper")

    with counter.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 1
    assert journal.head().size == 1


def test_a_rolled_back_transaction_takes_its_entry_with_it(
    counter: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(counter, clock)

    def fails_after_appending() -> None:
        with session_scope(counter) as session:
            session.execute(text("UPDATE counter SET n = n + 1"))
            journal.append(session, "fill", {"n": 1}, actor="paper")
            raise RuntimeError("broker refused")

    with pytest.raises(RuntimeError):
        fails_after_appending()

    with counter.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar() == 0
    assert journal.head().size == 0
    assert journal.verify().ok


def test_append_works_on_a_core_connection_transaction(engine: Engine, clock: ReplayClock) -> None:
    journal = make_journal(engine, clock)
    with engine.begin() as conn:
        journal.append(conn, "scan", {"symbols": ["BTC/USDT"]}, actor="scanner")

    assert journal.head().size == 1


def test_append_many_writes_in_order_with_one_head_read(engine: Engine, clock: ReplayClock) -> None:
    journal = make_journal(engine, clock)
    with session_scope(engine) as session:
        entries = journal.append_many(
            session, [Draft("opinion", {"i": i}, "agent") for i in range(3)]
        )

    assert [e.seq for e in entries] == [1, 2, 3]
    assert journal.verify().count == 3


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("kind", {"kind": "not-a-kind"}),
        ("actor", {"actor": ""}),
        ("actor", {"actor": "x" * 121}),
        ("actor", {"actor": "bad\x1factor"}),
        ("run_id", {"run_id": "r" * 65}),
        ("run_id", {"run_id": "line\nbreak"}),
        ("actor", {"actor": "lone \ud800 surrogate"}),
        ("payload.price", {"payload": {"price": float("nan")}}),
    ],
)
def test_invalid_input_is_refused_naming_the_field(
    engine: Engine, clock: ReplayClock, field: str, kwargs: dict[str, object]
) -> None:
    journal = make_journal(engine, clock)
    args: dict[str, object] = {"kind": "scan", "payload": {}, "actor": "a", "run_id": None}
    args.update(kwargs)

    with pytest.raises(ValidationFailed) as caught, session_scope(engine) as session:
        journal.append(session, **args)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert journal.head().size == 0


def test_append_outside_a_transaction_is_refused(engine: Engine, clock: ReplayClock) -> None:
    journal = make_journal(engine, clock)
    with (
        engine.connect() as conn,
        pytest.raises(ValidationFailed, match="inside the caller's transaction"),
    ):
        journal.append(conn, "scan", {}, actor="a")


def test_a_sqlite_engine_without_the_write_lock_at_begin_is_refused(
    tmp_path: Path, engine: Engine, clock: ReplayClock
) -> None:
    plain = create_engine(engine.url)
    journal = make_journal(plain, clock)

    with pytest.raises(ConfigError, match="BEGIN IMMEDIATE"), session_scope(plain) as session:
        journal.append(session, "scan", {}, actor="a")
    plain.dispose()


def test_read_filters_by_seq_time_and_kind(engine: Engine, clock: ReplayClock) -> None:
    journal = make_journal(engine, clock)
    for i in range(6):
        with session_scope(engine) as session:
            kind = JournalKind.SCAN if i % 2 else JournalKind.RISK_DECISION
            journal.append(session, kind, {"i": i}, actor="a")
        clock.advance(timedelta(minutes=1))

    assert [e.seq for e in journal.read(since_seq=4)] == [4, 5, 6]
    since = START + timedelta(minutes=3)
    assert [e.seq for e in journal.read(since_time=since)] == [4, 5, 6]
    assert [e.seq for e in journal.read(kinds=["scan"])] == [2, 4, 6]
    assert [e.seq for e in journal.read(limit=2, newest_first=True)] == [6, 5]
    assert journal.read(since_seq=2, limit=1)[0].payload == {"i": 1}
