from datetime import UTC, datetime, timedelta
from decimal import Decimal

from quorum.clock import ReplayClock
from quorum.domain import Bar, Direction, OrderType, Side, Timeframe
from quorum.execution import PaperSettings
from quorum.execution.paper import ExitLevels, ReplayVenue, touched
from quorum.ports import OrderRequest

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def bar(i: int, o: str, h: str, low: str, c: str) -> Bar:
    return Bar(
        symbol="BTC/USDT",
        timeframe=Timeframe.M15,
        ts=T0 + timedelta(minutes=15 * i),
        open=Decimal(o),
        high=Decimal(h),
        low=Decimal(low),
        close=Decimal(c),
        volume=Decimal(1),
    )


def venue(levels: ExitLevels | None = None) -> tuple[ReplayVenue, ReplayClock]:
    clock = ReplayClock(T0)
    settings = PaperSettings(
        initial_balances={"USDT": Decimal(10000)}, taker_fee=Decimal(0), slippage=Decimal("0.01")
    )
    return ReplayVenue(clock, settings, lambda _s: levels), clock


def market(cid: str, side: Side, now: datetime, reduce_only: bool = False) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="BTC/USDT",
        side=side,
        order_type=OrderType.MARKET,
        quantity=Decimal(1),
        sent_at=now,
        reduce_only=reduce_only,
    )


def test_market_order_rests_until_next_bar_and_fills_at_its_open_plus_slippage() -> None:
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    clock.set(T0 + timedelta(minutes=15))
    order = v.submit(market("a", Side.BUY, clock.now()))
    assert order.filled == 0
    v.feed(bar(1, "110", "111", "109", "110"))
    filled = v.fetch_by_client_id("a")
    assert filled.filled == 1
    assert filled.average_price == Decimal("110") * Decimal("1.01")
    note = next(iter(v.fill_notes.values()))
    assert note.rule == "next_open"
    assert note.market_time == T0 + timedelta(minutes=15)


def test_bar_touching_stop_and_target_counts_as_the_stop() -> None:
    levels = ExitLevels(Direction.LONG, Decimal("95"), Decimal("105"))
    assert touched(levels, bar(0, "100", "106", "94", "100")) == ("stop", Decimal("95"))
    assert touched(levels, bar(0, "100", "106", "96", "100")) == ("target", Decimal("105"))
    assert touched(levels, bar(0, "90", "92", "89", "91")) == ("stop", Decimal("90"))
    assert touched(levels, bar(0, "100", "104", "96", "100")) is None


def test_reduce_only_exit_fills_at_the_touched_stop_not_the_next_open() -> None:
    v, clock = venue(ExitLevels(Direction.LONG, Decimal("95"), None))
    v.feed(bar(0, "100", "101", "99", "100"))
    v.submit(market("entry", Side.BUY, clock.now()))
    v.feed(bar(1, "100", "101", "94", "97"))
    clock.set(T0 + timedelta(minutes=30))
    exit_order = v.submit(market("exit", Side.SELL, clock.now(), reduce_only=True))
    assert exit_order.filled == 1
    assert exit_order.average_price == Decimal("95") * Decimal("0.99")
