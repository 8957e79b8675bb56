"""The paper exchange over HTTP: PaperServer on 127.0.0.1 and the PaperBroker client.

Each reply of the server is translated by the client into the error class the executor
acts on (retry, resolve by client id, stop); the outbox worker drives the same pair.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from tests.unit.execution.execution_kit import T0, approve

from quorum.clock import ReplayClock
from quorum.domain import OrderState, OrderType, Side
from quorum.errors import BrokerTransient, OrderStatusUnknown
from quorum.execution import (
    DuplicateClientOrderId,
    ExecutionSettings,
    OrderNotFound,
    OrderRejected,
    PaperSettings,
    PaperVenue,
)
from quorum.execution.errors import VenueRateLimited
from quorum.execution.paper.client import PaperBroker
from quorum.execution.paper.server import PaperServer
from quorum.execution.worker import build, run
from quorum.ports import OrderRequest
from quorum.store import session_scope
from quorum.testing import make_order_intent

D = Decimal
SYMBOL = "BTC/USDT"


class Http:
    def __init__(self, clock: ReplayClock, venue: PaperVenue, server: PaperServer) -> None:
        self.clock = clock
        self.venue = venue
        self.server = server
        self.broker = PaperBroker(server.url, timeout_s=1.0)


@pytest.fixture
def http() -> Iterator[Http]:
    clock = ReplayClock(T0)
    venue = PaperVenue(clock, PaperSettings(slippage=D(0), taker_fee=D("0.001")))
    venue.set_quote(SYMBOL, D(99), D(101), D(100))
    server = PaperServer(venue).start()
    h = Http(clock, venue, server)
    try:
        yield h
    finally:
        h.broker.close()
        server.stop()


def _req(cid: str, kind: OrderType = OrderType.MARKET, **kw: object) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=SYMBOL,
        side=Side(str(kw.pop("side", Side.BUY.value))),
        order_type=kind,
        quantity=D(str(kw.pop("quantity", "1"))),
        sent_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def test_paper_broker_market_buy_over_http_reads_back_order_trade_balance_and_position(
    http: Http,
) -> None:
    order = http.broker.submit(_req("c1"))

    assert order.client_order_id == "c1"
    assert order.status == "closed"
    assert order.filled == D(1)
    assert http.broker.fetch_order_by_client_id(SYMBOL, "c1") == order
    (trade,) = http.broker.fetch_my_trades(SYMBOL)
    assert (trade.client_order_id, trade.side, trade.quantity) == ("c1", Side.BUY, D(1))
    assert (trade.price, trade.fee) == (D(101), D("0.101"))
    assert http.broker.fetch_my_trades(SYMBOL, since=T0 + timedelta(days=1)) == []
    assert http.broker.fetch_balance()["USDT"] == D(10**7) - D(101) - D("0.101")
    (position,) = http.broker.fetch_positions()
    assert (position.symbol, position.quantity) == (SYMBOL, D(1))


def test_paper_broker_limit_order_rests_open_then_cancel_removes_it(http: Http) -> None:
    http.broker.submit(_req("l1", OrderType.LIMIT, price=D(95)))

    assert [o.client_order_id for o in http.broker.fetch_open_orders(SYMBOL)] == ["l1"]
    cancelled = http.broker.cancel(SYMBOL, "l1")

    assert cancelled.status in ("canceled", "cancelled")
    assert http.broker.fetch_open_orders() == []
    with pytest.raises(OrderNotFound):
        http.broker.cancel(SYMBOL, "l1")


def test_paper_broker_maps_venue_refusals_to_their_error_classes(http: Http) -> None:
    http.broker.submit(_req("dup", OrderType.LIMIT, price=D(95)))

    with pytest.raises(DuplicateClientOrderId):
        http.broker.submit(_req("dup", OrderType.LIMIT, price=D(95)))
    with pytest.raises(OrderRejected, match="needs a price"):
        http.broker.submit(_req("noprice", OrderType.LIMIT))
    with pytest.raises(OrderNotFound):
        http.broker.fetch_order_by_client_id(SYMBOL, "never-sent")
    with pytest.raises(BrokerTransient, match="unexpected reply"):
        http.broker.admin("no-such-route")


def test_paper_venue_outage_refuses_before_the_venue_sees_the_order_and_admin_still_works(
    http: Http,
) -> None:
    assert http.broker.admin("outage", {"down": True}) == {"ok": True}

    with pytest.raises(BrokerTransient, match="503"):
        http.broker.submit(_req("o1"))
    with pytest.raises(BrokerTransient):
        http.broker.fetch_open_orders()
    with pytest.raises(BrokerTransient):
        http.broker.cancel(SYMBOL, "o1")
    assert http.broker.admin("stats")["submits"] == 0

    http.broker.admin("outage", {"down": False})
    assert http.broker.submit(_req("o1")).status == "closed"


@pytest.mark.parametrize("kind", ["502", "reset"])
def test_ambiguous_reply_to_an_accepted_submit_is_status_unknown_and_the_order_exists(
    http: Http, kind: str
) -> None:
    http.broker.admin("faults", {"ambiguous_probability": 1.0, "ambiguous_kinds": [kind]})

    with pytest.raises(OrderStatusUnknown, match=r"resolve by client id|unexpected reply"):
        http.broker.submit(_req("a1"))

    assert http.broker.fetch_order_by_client_id(SYMBOL, "a1").filled == D(1)
    stats = http.broker.admin("stats")
    assert stats["accepted"] == {"a1": 1}
    assert stats["ambiguous_replies"] == 1


def test_admin_quote_moves_the_price_the_next_market_order_fills_at(http: Http) -> None:
    http.broker.admin("quote", {"symbol": SYMBOL, "bid": "109", "ask": "111", "last": "110"})

    http.broker.submit(_req("q1", side=Side.SELL.value))

    (trade,) = http.broker.fetch_my_trades(SYMBOL)
    assert trade.price == D(109)


def test_paper_broker_cannot_connect_is_transient_because_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker = PaperBroker(f"http://127.0.0.1:{port}", timeout_s=0.5)
    try:
        with pytest.raises(BrokerTransient, match="could not connect"):
            broker.submit(_req("x1"))
    finally:
        broker.close()


def test_paper_broker_rate_limit_keeps_the_retry_after_the_venue_asked_for() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"code": "rate_limited"}, headers={"Retry-After": "7"})

    client = httpx.Client(base_url="http://paper.test", transport=httpx.MockTransport(reply))
    broker = PaperBroker("http://paper.test", client=client, recv_window_s=3.0)

    with pytest.raises(VenueRateLimited) as caught:
        broker.fetch_balance()

    assert caught.value.retry_after == 7.0
    assert (broker.name, broker.recv_window_s) == ("paper", 3.0)


def test_outbox_worker_sends_a_stored_intent_and_records_the_fill(
    http: Http, tmp_path: Path
) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        http.clock.advance(timedelta(seconds=seconds))

    worker = build(
        f"sqlite:///{tmp_path / 'worker.db'}",
        http.broker,
        clock=http.clock,
        settings=ExecutionSettings(resolve_spacing_s=0.1),
        sqlite_synchronous="OFF",
        sleep=sleep,
    )
    intent = make_order_intent(symbol=SYMBOL)
    with session_scope(worker.engine) as session:
        stored = worker.service.store_intent(session, intent, approve(intent)).order
    assert stored is not None

    run(worker.service, until_idle=True, sleep=sleep)

    order = worker.service.order(stored.client_order_id)
    assert order.state is OrderState.FILLED
    assert order.filled_quantity == intent.quantity
    assert http.venue.stats.accepted == {stored.client_order_id: 1}
    worker.engine.dispose()


def test_outbox_worker_keeps_trading_blocked_until_startup_reconciliation_succeeds(
    http: Http, tmp_path: Path
) -> None:
    http.broker.admin("outage", {"down": True})
    attempts: list[float] = []

    def sleep(seconds: float) -> None:
        attempts.append(seconds)
        assert not worker.service.ready
        http.broker.admin("outage", {"down": False})

    worker = build(f"sqlite:///{tmp_path / 'w.db'}", http.broker, clock=http.clock)

    run(worker.service, until_idle=True, sleep=sleep)

    assert len(attempts) == 1
    assert worker.service.ready
    worker.engine.dispose()
