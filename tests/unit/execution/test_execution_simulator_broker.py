"""The paper venue over HTTP is the Binance simulator, reached through ``CcxtBroker``.

What the removed JSON front-end's tests proved, now through ccxt → HTTP → the simulator
(the path live trading and ``quorum execution --venue`` use): each reply becomes the error
class the executor acts on, the admin endpoints steer the venue (outage, faults, quotes,
stats) and the outbox worker trades through it. ccxt's own exchange-level behaviour is in
``test_execution_binance_simulator.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.unit.execution.execution_kit import approve

from quorum.clock import SystemClock
from quorum.domain import OrderState, OrderType, Side
from quorum.errors import BrokerTransient, OrderStatusUnknown
from quorum.execution import (
    DuplicateClientOrderId,
    ExecutionSettings,
    OrderNotFound,
    OrderRejected,
    PaperSettings,
    PaperVenue,
    VenueRateLimited,
)
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance import SIM_API_KEY, SIM_SECRET, BinanceSimulator, MarketSpec
from quorum.execution.paper.binance.connect import simulator_exchange
from quorum.execution.worker import build, run
from quorum.ports import OrderRequest
from quorum.store import session_scope
from quorum.testing import make_order_intent

D = Decimal
SYMBOL = "BTC/USDT"


@dataclass
class Sim:
    server: BinanceSimulator
    venue: PaperVenue
    broker: CcxtBroker

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.server.url}/admin/{path}"
        reply = httpx.get(url) if body is None else httpx.post(url, json=body)
        reply.raise_for_status()
        return reply.json()


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[Sim]:
    clock = SystemClock()
    venue = PaperVenue(clock, PaperSettings(slippage=D(0), taker_fee=D("0.001")))
    venue.set_quote(SYMBOL, D(99), D(101), D(100))
    server = BinanceSimulator(
        venue,
        [MarketSpec(SYMBOL, min_notional=D(0))],
        clock=clock,
        api_key=SIM_API_KEY,
        secret=SIM_SECRET,
        weight_limit=10**6,
    ).start()
    exchange = simulator_exchange(server.url, timeout=1000, enableRateLimit=False)
    broker = CcxtBroker("binance", clock, exchange=exchange, recv_window_s=5.0, name="paper")
    try:
        with localcontext():  # ccxt's precision helpers set the thread's context
            yield Sim(server, venue, broker)
    finally:
        server.stop()


def _req(cid: str, kind: OrderType = OrderType.MARKET, **kw: Any) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=SYMBOL,
        side=kw.pop("side", Side.BUY),
        order_type=kind,
        quantity=D(str(kw.pop("quantity", "1"))),
        sent_at=SystemClock().now(),
        **kw,
    )


def test_a_market_buy_reads_back_its_order_trade_and_balance(sim: Sim) -> None:
    order = sim.broker.submit(_req("c1"))

    assert (order.client_order_id, order.status, order.filled) == ("c1", "closed", D(1))
    fetched = sim.broker.fetch_order_by_client_id(SYMBOL, "c1")
    assert (fetched.venue_order_id, fetched.filled) == (order.venue_order_id, D(1))
    (trade,) = sim.broker.fetch_my_trades(SYMBOL)
    assert (trade.venue_order_id, trade.side, trade.quantity) == (order.venue_order_id, Side.BUY, 1)
    assert (trade.price, trade.fee) == (D(101), D("0.101"))
    later = SystemClock().now() + timedelta(days=1)
    assert sim.broker.fetch_my_trades(SYMBOL, since=later) == []
    balance = sim.broker.fetch_balance()
    assert balance["BTC"] == D(1)
    assert balance["USDT"] == D(10**7) - D(101) - D("0.101")
    assert sim.admin("positions") == [{"symbol": SYMBOL, "quantity": "1", "average_entry": "101"}]


def test_a_limit_order_rests_open_then_cancel_removes_it(sim: Sim) -> None:
    sim.broker.submit(_req("l1", OrderType.LIMIT, price=D(95)))

    assert [o.client_order_id for o in sim.broker.fetch_open_orders(SYMBOL)] == ["l1"]
    assert sim.broker.cancel(SYMBOL, "l1").status == "canceled"
    assert sim.broker.fetch_open_orders() == []
    with pytest.raises(OrderNotFound):
        sim.broker.cancel(SYMBOL, "l1")


def test_venue_refusals_map_to_their_error_classes(sim: Sim) -> None:
    sim.broker.submit(_req("dup", OrderType.LIMIT, price=D(95)))

    with pytest.raises(DuplicateClientOrderId):
        sim.broker.submit(_req("dup", OrderType.LIMIT, price=D(95)))
    with pytest.raises(OrderRejected, match="LOT_SIZE"):
        sim.broker.submit(_req("huge", quantity="10000"))
    with pytest.raises(OrderNotFound):
        sim.broker.fetch_order_by_client_id(SYMBOL, "never-sent")
    assert sim.admin("stats")["accepted"] == {"dup": 1}


def test_an_outage_refuses_before_the_venue_sees_the_order_and_admin_still_works(
    sim: Sim,
) -> None:
    sim.broker.fetch_balance()  # markets loaded before the outage
    assert sim.admin("outage", {"down": True}) == {"ok": True}

    with pytest.raises(OrderStatusUnknown, match="503"):
        sim.broker.submit(_req("o1"))  # a 503 cannot prove nothing was placed: resolve
    with pytest.raises(BrokerTransient):
        sim.broker.fetch_open_orders()
    with pytest.raises(BrokerTransient):
        sim.broker.cancel(SYMBOL, "o1")
    assert sim.admin("stats")["submits"] == 0

    sim.admin("outage", {"down": False})
    with pytest.raises(OrderNotFound):
        sim.broker.fetch_order_by_client_id(SYMBOL, "o1")
    assert sim.broker.submit(_req("o1")).status == "closed"


@pytest.mark.parametrize("kind", ["timeout", "502", "reset"])
def test_an_ambiguous_reply_to_an_accepted_submit_is_unknown_and_the_order_exists(
    sim: Sim, kind: str
) -> None:
    sim.admin("faults", {"ambiguous_probability": 1.0, "ambiguous_kinds": [kind]})

    with pytest.raises(OrderStatusUnknown):
        sim.broker.submit(_req("a1"))

    sim.admin("faults", {})
    assert sim.broker.fetch_order_by_client_id(SYMBOL, "a1").filled == D(1)
    stats = sim.admin("stats")
    assert (stats["accepted"], stats["ambiguous_replies"]) == ({"a1": 1}, 1)


def test_admin_quote_moves_the_price_the_next_market_order_fills_at(sim: Sim) -> None:
    sim.admin("quote", {"symbol": SYMBOL, "bid": "109", "ask": "111", "last": "110"})

    sim.broker.submit(_req("q1"))

    (trade,) = sim.broker.fetch_my_trades(SYMBOL)
    assert trade.price == D(111)


def test_a_rate_limited_venue_keeps_the_retry_after_it_asked_for(sim: Sim) -> None:
    sim.broker.fetch_balance()
    sim.server._weights.limit = 0  # every further request is over the minute's weight

    with pytest.raises(VenueRateLimited) as caught:
        sim.broker.fetch_balance()

    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 60


def test_the_outbox_worker_sends_a_stored_intent_and_records_the_fill(
    sim: Sim, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    worker = build(
        f"sqlite:///{tmp_path / 'worker.db'}",
        sim.broker,
        settings=ExecutionSettings(resolve_spacing_s=0.1),
        sqlite_synchronous="OFF",
        sleep=sleeps.append,
    )
    intent = make_order_intent(symbol=SYMBOL, quantity=D("0.5"))
    with session_scope(worker.engine) as session:
        stored = worker.service.store_intent(session, intent, approve(intent)).order
    assert stored is not None

    run(worker.service, until_idle=True, sleep=sleeps.append)

    order = worker.service.order(stored.client_order_id)
    assert (order.state, order.filled_quantity) == (OrderState.FILLED, intent.quantity)
    assert sim.admin("stats")["accepted"] == {stored.client_order_id: 1}
    worker.engine.dispose()


def test_the_outbox_worker_keeps_trading_blocked_until_startup_reconciliation_succeeds(
    sim: Sim, tmp_path: Path
) -> None:
    sim.admin("outage", {"down": True})
    attempts: list[float] = []

    def sleep(seconds: float) -> None:
        attempts.append(seconds)
        assert not worker.service.ready
        sim.admin("outage", {"down": False})

    worker = build(f"sqlite:///{tmp_path / 'w.db'}", sim.broker, sleep=sleep)

    run(worker.service, until_idle=True, sleep=sleep)

    assert len(attempts) == 1
    assert worker.service.ready
    worker.engine.dispose()
