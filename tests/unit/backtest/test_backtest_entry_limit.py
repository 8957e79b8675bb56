"""The replay venue's rule for the pipeline's marketable-limit entries: the limit rests
until the next bar (never fills at the close it was decided on), fills at that bar's open
plus slippage when within the limit, at the limit when the range trades through it, and
otherwise keeps resting."""

from datetime import datetime, timedelta
from decimal import Decimal

from tests.unit.backtest.test_backtest_venue_fills import T0, bar, venue

from quorum.domain import OrderType, Side
from quorum.ports import OrderRequest


def limit(cid: str, side: Side, price: str, now: datetime) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="BTC/USDT",
        side=side,
        order_type=OrderType.LIMIT,
        quantity=Decimal(1),
        price=Decimal(price),
        sent_at=now,
    )


def test_an_entry_limit_fills_at_the_next_open_plus_slippage_within_its_limit() -> None:
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    clock.set(T0 + timedelta(minutes=15))
    assert v.submit(limit("a", Side.BUY, "102", clock.now())).filled == 0
    v.feed(bar(1, "100.5", "103", "100", "102"))
    assert v.fetch_by_client_id("a").average_price == Decimal("100.5") * Decimal("1.01")


def test_slippage_never_takes_the_fill_beyond_the_limit() -> None:
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    clock.set(T0 + timedelta(minutes=15))
    v.submit(limit("a", Side.SELL, "99.5", clock.now()))
    v.feed(bar(1, "100", "100", "98", "99"))
    assert v.fetch_by_client_id("a").average_price == Decimal("99.5")


def test_an_entry_limit_the_market_gapped_away_from_rests() -> None:
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    clock.set(T0 + timedelta(minutes=15))
    v.submit(limit("a", Side.BUY, "100.5", clock.now()))
    v.feed(bar(1, "110", "112", "109", "111"))
    order = v.fetch_by_client_id("a")
    assert order.filled == 0
    assert order.status == "open"
    v.feed(bar(2, "104", "105", "100", "101"))
    assert v.fetch_by_client_id("a").average_price == Decimal("100.5")
