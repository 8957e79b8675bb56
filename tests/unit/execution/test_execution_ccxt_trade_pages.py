"""Reconciliation reads every trade of its window, however many: Binance's ``myTrades``
returns at most 1000 per request (500 by default), oldest first from ``startTime``.

Before, ``CcxtBroker.fetch_my_trades`` made one request with the venue's default page, so
an active account's window past 500 trades lost the newest ones to reconciliation (and a
position whose fills were among them could never be checked). ccxt's ``paginate`` would
skip trades sharing a page's last millisecond (it asks again from last + 1 ms).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal, localcontext

import ccxt
import pytest

from quorum.clock import SystemClock
from quorum.domain import OrderType, Side
from quorum.execution import PaperVenue
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.paper.binance import BinanceSimulator, MarketSpec, ccxt_urls
from quorum.execution.paper.model import PaperSettings
from quorum.ports import OrderRequest

KEY, SECRET = "test-key", "test-secret"  # pragma: allowlist secret
SYMBOL = "BTC/USDT"


@pytest.fixture
def sim(allow_loopback_orders: None) -> Iterator[BinanceSimulator]:
    clock = SystemClock()
    venue = PaperVenue(clock, PaperSettings(recv_window_s=5.0, amount_step=Decimal("0.001")))
    venue.set_quote(SYMBOL, Decimal(100), Decimal("100.1"), Decimal("100.05"))
    server = BinanceSimulator(
        venue, [MarketSpec(SYMBOL)], clock=clock, api_key=KEY, secret=SECRET
    ).start()
    with localcontext():
        yield server
    server.stop()


def _wire_id(engine_id: str) -> str:
    return engine_id.removeprefix("T")  # Binance trade ids are numbers


def _trade_at_the_venue(sim: BinanceSimulator, n: int) -> None:
    """``n`` fills straight into the engine: dozens share each millisecond."""
    for i in range(n):
        sim.venue.submit(
            OrderRequest(
                client_order_id=f"c{i}",
                symbol=SYMBOL,
                side=Side.BUY if i % 2 else Side.SELL,
                order_type=OrderType.MARKET,
                quantity=Decimal("0.001"),
                sent_at=SystemClock().now(),
            )
        )


def test_a_window_of_more_trades_than_a_page_is_read_whole(sim: BinanceSimulator) -> None:
    start = SystemClock().now() - timedelta(seconds=1)
    _trade_at_the_venue(sim, 2300)
    exchange = ccxt.binance({"apiKey": KEY, "secret": SECRET, **ccxt_urls(sim.url)})
    broker = CcxtBroker("binance", SystemClock(), exchange=exchange, name="paper")

    trades = broker.fetch_my_trades(SYMBOL, start)

    ids = [t.venue_trade_id for t in trades]
    assert len(ids) == len(set(ids)) == 2300
    assert {_wire_id(t.venue_trade_id) for t in sim.venue.trades(SYMBOL)} == set(ids)
    assert [t.ts for t in trades] == sorted(t.ts for t in trades)


def test_without_a_start_the_venue_gives_its_most_recent_page(sim: BinanceSimulator) -> None:
    _trade_at_the_venue(sim, 1200)
    exchange = ccxt.binance({"apiKey": KEY, "secret": SECRET, **ccxt_urls(sim.url)})
    broker = CcxtBroker("binance", SystemClock(), exchange=exchange, name="paper")

    trades = broker.fetch_my_trades(SYMBOL)

    newest = [_wire_id(t.venue_trade_id) for t in sim.venue.trades(SYMBOL)][-1000:]
    assert sorted(t.venue_trade_id for t in trades) == sorted(newest)
