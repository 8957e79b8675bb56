"""The SQL stores on real databases: the budget under concurrent writers (a SQLite file with
BEGIN IMMEDIATE, and PostgreSQL with row locks), and the ledger and cache on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.integration.llm.llm_concurrency import hammer
from tests.pg import private_schema
from tests.unit.llm.llm_kit import START, migrated_sqlite, model, request, router, settings

from quorum.clock import ReplayClock
from quorum.llm import BudgetScope, SqlBudgetLedger, SqlResponseCache, spend_by, to_nano
from quorum.store import create_engine_for, migrate

RUN = BudgetScope("run:r1", to_nano(Decimal("0.30")), 3600)
SYMBOL = BudgetScope("symbol:BTC/USDT:2025-03-01", to_nano(Decimal("0.25")), 3600)


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    with private_schema(postgres_url, "ql") as schema:
        engine = create_engine_for(postgres_url, schema=schema, pool_size=12, max_overflow=4)
        migrate(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _check(engine: Engine, threads: int, calls: int) -> None:
    ledger = SqlBudgetLedger(engine)

    tally = hammer(ledger, [RUN, SYMBOL], ReplayClock(START), threads=threads, calls=calls)

    assert tally.errors == []
    assert ledger.spent_nano(SYMBOL.key) == tally.settled_nano
    assert tally.settled_nano <= SYMBOL.cap_nano
    assert tally.denied > 0
    assert SYMBOL.cap_nano - tally.settled_nano < to_nano(Decimal("0.040"))
    assert ledger.held_nano(SYMBOL.key, START) == 0


def test_threads_on_one_sqlite_file_never_overshoot_the_caps(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "budget.db")
    try:
        _check(engine, threads=6, calls=20)
    finally:
        engine.dispose()


@pytest.mark.integration
def test_threads_on_postgresql_never_overshoot_the_caps(pg_engine: Engine) -> None:
    _check(pg_engine, threads=10, calls=20)


@pytest.mark.integration
def test_ledger_budget_and_cache_work_on_postgresql(pg_engine: Engine) -> None:
    clock = ReplayClock(START)
    s = settings([model("best", litellm_model="openai/gpt-4o")], budget={"backend": "sql"})
    r = router(
        s,
        clock=clock,
        engine=pg_engine,
        budget=SqlBudgetLedger(pg_engine),
        cache=SqlResponseCache(pg_engine, clock, 60),
    )

    first = r.complete(request())
    second = r.complete(request())
    assert r.ledger is not None
    r.ledger.close()

    assert (first.cache_hit, second.cache_hit) == (False, True)
    (row,) = spend_by(pg_engine, "model")
    assert (row.key, row.calls, row.cache_hits, row.cost_usd) == ("best", 2, 1, first.cost_usd)
    assert SqlBudgetLedger(pg_engine).spent_nano("day:2025-03-01") == to_nano(first.cost_usd)


@pytest.mark.integration
def test_the_default_budget_backend_is_shared_on_postgresql_and_in_process_on_sqlite(
    pg_engine: Engine, tmp_path: Path
) -> None:
    from quorum.llm import BudgetSettings, MemoryBudgetLedger
    from quorum.llm.factory import build_budget_ledger

    clock, default = ReplayClock(START), BudgetSettings()
    embedded = migrated_sqlite(tmp_path / "embedded.db")

    assert default.backend == "auto"
    assert isinstance(build_budget_ledger(default, pg_engine, clock), SqlBudgetLedger)
    assert isinstance(build_budget_ledger(default, embedded, clock), MemoryBudgetLedger)
    embedded.dispose()
