"""Scan marks (one-statement insert-or-advance) and task-run claims, on SQLite and on a
real PostgreSQL in a private schema: a mark never moves back, and a key claimed between a
caller's look-up and its unit of work is still claimed once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.pg import private_schema

from quorum.clock import ReplayClock
from quorum.pipeline.persistence import put_scan_mark, scan_marks
from quorum.pipeline.runs import TaskRuns
from quorum.store import create_engine_for, migrate, session_scope

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        built = create_engine_for(f"sqlite:///{tmp_path / 'q.db'}")
        migrate(built)
        yield built
        built.dispose()
        return
    url = request.getfixturevalue("postgres_url")
    with private_schema(url, "qm") as schema:
        built = create_engine_for(url, schema=schema)
        try:
            migrate(built)
            yield built
        finally:
            built.dispose()


def mark(engine: Engine, close: datetime, volatility: float | None, run_id: str = "r") -> None:
    with session_scope(engine) as session:
        put_scan_mark(session, run_id, "BTC/USDT", "15m", close, volatility, close)


def test_a_mark_is_inserted_then_advanced_and_never_moved_back(engine: Engine) -> None:
    mark(engine, T0, 0.01)
    mark(engine, T0 + timedelta(minutes=30), 0.02)
    mark(engine, T0 + timedelta(minutes=15), 0.5)  # a late redelivery of an older bar
    mark(engine, T0 + timedelta(minutes=30), 0.9)  # the same bar again: not newer either
    mark(engine, T0, None, run_id="other")

    with engine.connect() as conn:
        assert scan_marks(conn, "r") == {("BTC/USDT", "15m"): (T0 + timedelta(minutes=30), 0.02)}
        assert scan_marks(conn, "other") == {("BTC/USDT", "15m"): (T0, None)}

    mark(engine, T0 + timedelta(hours=1), None)
    with engine.connect() as conn:
        assert scan_marks(conn, "r")[("BTC/USDT", "15m")] == (T0 + timedelta(hours=1), None)


def test_a_key_claimed_after_the_callers_look_up_is_still_claimed_once(engine: Engine) -> None:
    runs = TaskRuns(engine, ReplayClock(T0))
    key = "scan:r:BTC/USDT:15m:2025-01-01T00:15:00Z"
    assert runs.get(key) is None
    winner, fresh = runs.once("scan", key, lambda _s: {"status": "done", "by": "first"})
    assert fresh
    assert winner["by"] == "first"

    def late(session: Session) -> dict[str, str]:
        put_scan_mark(session, "r", "ETH/USDT", "15m", T0, 0.3, T0)
        return {"status": "done", "by": "second"}

    result, fresh = runs.once("scan", key, late, unseen=True)  # the caller's get was stale

    assert (result, fresh) == ({"status": "done", "by": "first"}, False)
    with engine.connect() as conn:
        assert scan_marks(conn, "r") == {}, "the losing delivery's writes are rolled back"
    assert runs.count("scan") == 1
