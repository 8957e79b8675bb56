"""Ambiguous replies and venue outages.

Ambiguous: the paper exchange accepts the order, then the client sees a timeout / 502 /
reset with probability 0.3 — thousands of orders in process, a few hundred over HTTP on
loopback (the same engine behind Binance spot's REST protocol, reached through ccxt's
``binance`` class): zero duplicates, zero accepted orders marked rejected.
Outage: the breaker opens, work waits (nothing sent while it is open or while an order is
unknown), and after recovery everything is submitted within 60 s of the venue returning.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from tests.unit.execution.execution_kit import PRICE, SYMBOL, approve, intent_at, make_env

from quorum.clock import SystemClock
from quorum.domain import OrderState
from quorum.execution import (
    BreakerState,
    ExecutionService,
    ExecutionSettings,
    Faults,
    FaultSettings,
    PaperSettings,
    PaperVenue,
)
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance import SIM_API_KEY, SIM_SECRET, BinanceSimulator, MarketSpec
from quorum.execution.paper.binance.connect import simulator_exchange
from quorum.journal import Journal
from quorum.store import create_engine_for, migrate, session_factory, session_scope
from quorum.testing import make_order_intent

NO_THROTTLE = ExecutionSettings(throttle_max_fills=10**9, resolve_spacing_s=0.01)


def _assert_exactly_once(accepted: dict[str, int], orders: list) -> None:  # type: ignore[type-arg]
    assert max(accepted.values()) == 1
    for order in orders:
        if order.state is OrderState.REJECTED:
            assert accepted.get(order.client_order_id, 0) == 0, (
                "an accepted order was marked rejected"
            )
        else:
            assert order.state is OrderState.FILLED
            assert accepted[order.client_order_id] == 1


def test_thousands_of_ambiguous_replies_in_process_give_zero_duplicates(tmp_path: Path) -> None:
    env = make_env(
        tmp_path,
        paper=PaperSettings(recv_window_s=1.0, reject_probability=0.05, seed=2),
        faults=FaultSettings(ambiguous_probability=0.3, seed=1),
        settings=NO_THROTTLE,
    )
    count = 2000
    with session_scope(env.engine) as session:
        for i in range(count):
            intent = make_order_intent(**intent_at(i), quantity=Decimal("0.01"))
            env.service.store_intent(session, intent, approve(intent))

    while env.service.run_pending(limit=500):
        env.clock.advance(timedelta(seconds=2))

    orders = env.service.orders(limit=count)
    assert len(orders) == count
    assert env.broker.faults.ambiguous_replies > 400
    _assert_exactly_once(dict(env.venue.stats.accepted), orders)


@pytest.fixture
def http_venue(allow_loopback_orders: None) -> Iterator[tuple[BinanceSimulator, CcxtBroker]]:
    clock = SystemClock()
    venue = PaperVenue(clock, PaperSettings(recv_window_s=0.5, seed=4))
    venue.set_quote(SYMBOL, PRICE - Decimal("0.5"), PRICE + Decimal("0.5"))
    server = BinanceSimulator(
        venue,
        [MarketSpec(SYMBOL, min_notional=Decimal(0))],
        clock=clock,
        api_key=SIM_API_KEY,
        secret=SIM_SECRET,
        faults=Faults(FaultSettings(ambiguous_probability=0.3, seed=5)),
        weight_limit=10**8,
    ).start()
    # a held reply times out after 200 ms; no client-side rate limiter (the simulator's
    # weight limit is the one that applies)
    exchange = simulator_exchange(server.url, timeout=200, enableRateLimit=False)
    broker = CcxtBroker("binance", clock, exchange=exchange, recv_window_s=0.5, name="paper")
    try:
        yield server, broker
    finally:
        server.stop()


def test_ambiguous_timeouts_502s_and_resets_over_http_give_zero_duplicates(
    tmp_path: Path, http_venue: tuple[BinanceSimulator, CcxtBroker]
) -> None:
    server, broker = http_venue
    engine = create_engine_for(f"sqlite:///{tmp_path / 'h.db'}", sqlite_synchronous="OFF")
    migrate(engine)
    clock = SystemClock()
    service = ExecutionService(
        session_factory(engine),
        Journal(engine, clock),
        clock,
        {"paper": broker},
        settings=NO_THROTTLE,
    )
    service.reconcile(startup=True)
    count = 300
    with session_scope(engine) as session:
        for i in range(count):
            intent = make_order_intent(**intent_at(i), quantity=Decimal("0.01"))
            service.store_intent(session, intent, approve(intent))

    deadline = time.monotonic() + 60
    while service.orders({OrderState.NEW, OrderState.SUBMITTING, OrderState.UNKNOWN}, limit=1):
        assert time.monotonic() < deadline, "orders still unresolved after 60 s"
        if not service.run_pending(limit=count):
            time.sleep(0.05)

    stats = httpx.get(f"{server.url}/admin/stats", timeout=10).json()
    took = 60 - (deadline - time.monotonic())
    figures = {k: stats[k] for k in ("submits", "requests", "ambiguous_replies")}
    print(f"CHAOS-AMBIGUOUS {count} intents, drained in {took:.1f} s", figures)
    assert stats["ambiguous_replies"] > 50
    _assert_exactly_once(stats["accepted"], service.orders(limit=count))


def test_an_outage_opens_the_breaker_and_everything_is_sent_soon_after_recovery(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path, settings=NO_THROTTLE)
    ids = [env.stored(**intent_at(i)).client_order_id for i in range(30)]
    env.broker.faults.set_down(True)
    breaker = env.service.ctx.brokers["paper"].breaker

    for _ in range(3):
        env.service.run_pending()
    sends_during_outage = env.venue.stats.submits
    unknown = [o for o in env.service.orders() if o.state is OrderState.UNKNOWN]

    assert breaker.state is BreakerState.OPEN
    assert sends_during_outage == 0
    assert len(unknown) <= 5  # the failures that opened the breaker; the rest wait as new
    assert {o.attempts for o in unknown} == {1}  # an unknown order is never sent again blind
    env.broker.faults.set_down(False)
    returned_at = env.clock.now()
    while env.service.orders({OrderState.NEW, OrderState.UNKNOWN, OrderState.SUBMITTING}, limit=1):
        env.clock.advance(timedelta(seconds=1))
        env.service.run_pending()
        assert env.clock.now() - returned_at < timedelta(seconds=60)

    assert {env.service.order(cid).state for cid in ids} == {OrderState.FILLED}
    assert max(env.venue.stats.accepted.values()) == 1
    assert breaker.openings >= 1
