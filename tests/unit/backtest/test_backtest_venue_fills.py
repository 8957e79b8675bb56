from datetime import UTC, datetime, timedelta
from decimal import Decimal

from quorum.clock import ReplayClock
from quorum.domain import Bar, OrderType, Side, Timeframe
from quorum.execution import PaperSettings
from quorum.execution.paper import ReplayVenue
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


def venue() -> tuple[ReplayVenue, ReplayClock]:
    clock = ReplayClock(T0)
    settings = PaperSettings(
        initial_balances={"USDT": Decimal(10000)}, taker_fee=Decimal(0), slippage=Decimal("0.01")
    )
    return ReplayVenue(clock, settings), clock


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


def protective(
    cid: str, kind: OrderType, level: str, now: datetime, side: Side = Side.SELL
) -> OrderRequest:
    """A reduce-only resting stop (``kind`` STOP) or take-profit (LIMIT) at ``level``."""
    price = Decimal(level)
    return OrderRequest(
        client_order_id=cid,
        symbol="BTC/USDT",
        side=side,
        order_type=kind,
        quantity=Decimal(1),
        sent_at=now,
        reduce_only=True,
        price=price if kind is OrderType.LIMIT else None,
        stop_price=price if kind is OrderType.STOP else None,
    )


def _long_with_bracket(v: ReplayVenue, clock: ReplayClock, stop: str, target: str) -> None:
    """Entry at bar 1's open; the bracket is placed at bar 1's close."""
    v.feed(bar(0, "100", "101", "99", "100"))
    v.submit(market("entry", Side.BUY, clock.now()))
    v.feed(bar(1, "100", "101", "99.5", "100"))
    clock.set(T0 + timedelta(minutes=30))
    v.submit(protective("stop", OrderType.STOP, stop, clock.now()))
    v.submit(protective("target", OrderType.LIMIT, target, clock.now()))


def test_a_bar_touching_the_resting_stop_and_target_fills_the_stop_and_the_target_expires() -> None:
    v, clock = venue()
    _long_with_bracket(v, clock, "95", "105")
    v.feed(bar(2, "100", "106", "94", "100"))
    assert v.fetch_by_client_id("stop").average_price == Decimal("95") * Decimal("0.99")
    assert v.fetch_by_client_id("target").status == "expired"
    assert v.positions() == []
    rules = [n.rule for n in v.fill_notes.values()]
    assert rules == ["next_open", "stop"]


def test_a_gap_through_the_resting_stop_fills_at_the_open() -> None:
    v, clock = venue()
    _long_with_bracket(v, clock, "95", "105")
    v.feed(bar(2, "90", "92", "89", "91"))
    assert v.fetch_by_client_id("stop").average_price == Decimal("90") * Decimal("0.99")


def test_the_resting_target_fills_at_its_price_as_a_maker() -> None:
    v, clock = venue()
    _long_with_bracket(v, clock, "95", "105")
    v.feed(bar(2, "100", "104", "96", "100"))
    assert v.positions() != []
    v.feed(bar(3, "100", "106", "96", "104"))
    assert v.fetch_by_client_id("target").average_price == Decimal("105")
    assert v.fetch_by_client_id("stop").status == "open"  # cancelled by the pipeline (OCO)
    notes = list(v.fill_notes.values())
    assert (notes[-1].rule, notes[-1].slippage) == ("target", Decimal(0))


def test_a_bracket_placed_after_the_entry_bar_lives_through_that_whole_bar() -> None:
    """The entry filled at bar 1's open; its stop, sent at bar 1's close, is matched against
    bar 1's range (a real bracket rests from the fill on) and stamped with that bar."""
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    v.submit(market("entry", Side.BUY, clock.now()))
    v.feed(bar(1, "100", "101", "94", "97"))
    clock.set(T0 + timedelta(minutes=30))
    stop = v.submit(protective("stop", OrderType.STOP, "95", clock.now()))
    assert stop.filled == 1
    assert stop.average_price == Decimal("95") * Decimal("0.99")
    assert v.fill_time("stop") == T0 + timedelta(minutes=15)


def test_an_order_sent_after_a_later_bar_rests_until_the_next_bar() -> None:
    v, clock = venue()
    _long_with_bracket(v, clock, "95", "120")
    v.feed(bar(2, "100", "101", "99", "100"))
    clock.set(T0 + timedelta(minutes=45))
    v.cancel("stop")
    moved = v.submit(protective("stop2", OrderType.STOP, "101", clock.now()))
    assert moved.filled == 0  # the close 100 is below it, but nothing fills at that close
    v.feed(bar(3, "100.5", "100.8", "99", "100"))
    assert v.fetch_by_client_id("stop2").average_price == Decimal("100.5") * Decimal("0.99")


def test_a_short_bracket_mirrors_the_stop_above_fills_a_gap_up_at_the_open() -> None:
    v, clock = venue()
    v.feed(bar(0, "100", "101", "99", "100"))
    v.submit(market("entry", Side.SELL, clock.now()))
    v.feed(bar(1, "100", "101", "99.5", "100"))
    clock.set(T0 + timedelta(minutes=30))
    v.submit(protective("stop", OrderType.STOP, "105", clock.now(), Side.BUY))
    v.submit(protective("target", OrderType.LIMIT, "95", clock.now(), Side.BUY))
    v.feed(bar(2, "110", "112", "94", "111"))  # gaps up through the stop, also touches 95
    assert v.fetch_by_client_id("stop").average_price == Decimal("110") * Decimal("1.01")
    assert v.fetch_by_client_id("target").status == "expired"
    assert v.positions() == []
