"""On PostgreSQL: the outbox's unique constraint and the CAS updates under concurrency."""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import approve, intent_at, make_env

from quorum.domain import Liquidity, OrderState
from quorum.execution import ExecOrder, ExecutionSettings
from quorum.ports import BrokerTrade
from quorum.store import session_scope
from quorum.testing import make_order_intent

pytestmark = pytest.mark.integration


def test_concurrent_stores_and_executes_on_postgres_send_each_intent_once(
    tmp_path: Path, postgres_url: str, pg_schema: str
) -> None:
    env = make_env(
        tmp_path,
        url=postgres_url,
        schema=pg_schema,
        settings=ExecutionSettings(throttle_max_fills=10**6),
    )
    intents = [make_order_intent(**intent_at(i), quantity=Decimal("0.1")) for i in range(20)]
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for intent in intents:
                with session_scope(env.engine) as session:
                    outcome = env.service.store_intent(session, intent, approve(intent))
                with lock:
                    outcomes.append(outcome.status)
                env.service.execute(intent.client_order_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert outcomes.count("stored") == 20
    assert outcomes.count("duplicate") == 60
    assert sorted(env.venue.stats.accepted.values()) == [1] * 20
    assert {o.state for o in env.service.orders()} == {OrderState.FILLED}
    assert env.journal.verify().ok
    env.engine.dispose()


def _trade(order: ExecOrder, trade_id: str, at: datetime) -> BrokerTrade:
    return BrokerTrade(
        venue_trade_id=trade_id,
        venue_order_id=f"V-{trade_id}",
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        quantity=order.quantity,
        price=Decimal(100),
        fee=Decimal(0),
        fee_currency="USDT",
        liquidity=Liquidity.TAKER,
        ts=at,
    )


@pytest.mark.parametrize("opened", [False, True])
def test_two_fills_of_one_symbol_recorded_at_once_both_move_the_position(
    tmp_path: Path, postgres_url: str, pg_schema: str, opened: bool
) -> None:
    """Read committed lets a second writer read the position before the first commits and
    then overwrite it (a lost update): the position row is locked, and created first when
    there is none yet, before a fill moves it."""
    env = make_env(tmp_path, url=postgres_url, schema=pg_schema)
    if opened:
        first = env.stored(**intent_at(0), quantity=Decimal("0.1"))
        assert env.service.execute(first.client_order_id).state is OrderState.FILLED
    held = sum((p.quantity for p in env.service.positions()), Decimal(0))
    x, y = (env.stored(**intent_at(i), quantity=Decimal("0.1")) for i in (1, 2))
    sync, now = env.service.ctx.sync, env.clock.now()
    errors: list[BaseException] = []

    def record_y() -> None:
        try:
            with session_scope(env.engine) as session:
                assert sync.record(session, y, None, [_trade(y, "T-y", now)]) is not None
        except BaseException as exc:
            errors.append(exc)

    other = threading.Thread(target=record_y)
    with session_scope(env.engine) as session:
        assert sync.record(session, x, None, [_trade(x, "T-x", now)]) is not None
        other.start()
        other.join(timeout=1.0)  # it reads (or waits for) the position while x is open
    other.join()

    assert errors == []
    assert sum((p.quantity for p in env.service.positions()), Decimal(0)) == held + Decimal("0.2")
    env.engine.dispose()
