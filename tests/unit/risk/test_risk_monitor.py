"""Position management: stop-loss / take-profit triggers, breakeven, ATR trailing,
time exit, unprotected positions, floating-loss limit and liquidation prevention."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tests.unit.risk.risk_kit import T0, monitored, open_position, settings, state

from quorum.domain import Direction, Quote
from quorum.risk import (
    Action,
    Alert,
    ClosePosition,
    MonitoredPosition,
    MoveStop,
    ReducePosition,
    RiskSettings,
    Rule,
    SafeModeCause,
    margin_usage,
    monitor,
    trip_safe_mode,
)
from quorum.testing import make_bar, make_quote


def bid(price: str, symbol: str = "BTC/USDT") -> dict[str, Quote]:
    value = Decimal(price)
    return {symbol: make_quote(symbol=symbol, bid=value, ask=value + Decimal("0.01"), last=value)}


def ask(price: str) -> dict[str, Quote]:
    value = Decimal(price)
    return {"BTC/USDT": make_quote(bid=value - Decimal("0.01"), ask=value, last=value)}


def run(
    positions: list[MonitoredPosition],
    quotes: dict[str, Any],
    s: RiskSettings | None = None,
    as_of: Any = T0,
) -> list[Action]:
    s = s or RiskSettings()
    return monitor(positions, quotes, state(s), as_of, s)


def wide(**overrides: Any) -> MonitoredPosition:
    """A long from 100 with stop 98 (1 R = 2), take-profit 110 and ATR 1."""
    data: dict[str, Any] = {"take_profit": Decimal(110)}
    extra: dict[str, Any] = {"atr": Decimal(1)}
    extra.update(
        {k: overrides.pop(k) for k in list(overrides) if k in MonitoredPosition.model_fields}
    )
    data.update(overrides)
    return monitored(open_position(**data), **extra)


def test_monitor_closes_a_long_when_the_bid_touches_the_stop() -> None:
    [action] = run([monitored()], bid("98"))
    assert isinstance(action, ClosePosition)
    assert (action.rule, action.trigger_price, action.quantity) == (
        Rule.STOP_LOSS_HIT,
        Decimal(98),
        Decimal("0.5"),
    )


def test_monitor_leaves_a_long_just_above_its_stop() -> None:
    assert run([monitored()], bid("98.01")) == []


def test_monitor_closes_a_short_when_the_ask_touches_the_stop() -> None:
    short = monitored(open_position(direction=Direction.SHORT))
    [action] = run([short], ask("102"))
    assert action.rule == Rule.STOP_LOSS_HIT


def test_monitor_uses_the_bar_low_for_the_stop_in_replay() -> None:
    bar = make_bar(
        open=Decimal(100), high=Decimal("100.5"), low=Decimal("97.9"), close=Decimal(100)
    )
    [action] = run([monitored()], {"BTC/USDT": bar})
    assert action.rule == Rule.STOP_LOSS_HIT


def test_monitor_uses_the_bar_high_for_the_take_profit_in_replay() -> None:
    bar = make_bar(
        open=Decimal(100), high=Decimal("104.2"), low=Decimal("99.5"), close=Decimal(101)
    )
    [action] = run([monitored()], {"BTC/USDT": bar})
    assert isinstance(action, ClosePosition)
    assert (action.rule, action.trigger_price) == (Rule.TAKE_PROFIT_HIT, Decimal(104))


def test_monitor_assumes_the_stop_first_when_a_bar_spans_both_levels() -> None:
    bar = make_bar(open=Decimal(100), high=Decimal(105), low=Decimal(97), close=Decimal(101))
    [action] = run([monitored()], {"BTC/USDT": bar})
    assert action.rule == Rule.STOP_LOSS_HIT


def test_monitor_moves_the_stop_to_breakeven_after_one_r() -> None:
    [action] = run([wide()], bid("102"))
    assert isinstance(action, MoveStop)
    assert (action.rule, action.old_stop, action.new_stop) == (
        Rule.BREAKEVEN,
        Decimal(98),
        Decimal(100),
    )


def test_monitor_keeps_the_stop_just_below_one_r() -> None:
    assert run([wide()], bid("101.99")) == []


def test_monitor_trails_by_atr_after_two_r() -> None:
    [action] = run([wide()], bid("105"))
    assert isinstance(action, MoveStop)
    assert (action.rule, action.new_stop) == (Rule.TRAILING_STOP, Decimal(103))


def test_monitor_trails_from_the_best_price_seen() -> None:
    [action] = run([wide(best_price=Decimal(106))], bid("105"))
    assert isinstance(action, MoveStop)
    assert action.new_stop == Decimal(104)


def test_monitor_never_loosens_a_stop_already_above_the_trail() -> None:
    assert run([wide(current_stop=Decimal("103.5"))], bid("105")) == []


def test_monitor_rounds_a_long_trail_down_to_the_tick() -> None:
    position = wide(atr=Decimal("0.333"), price_tick=Decimal("0.01"))
    [action] = run([position], bid("105"))
    assert isinstance(action, MoveStop)
    assert action.new_stop == Decimal("104.33")


def test_monitor_trails_a_short_above_the_ask() -> None:
    short = monitored(
        open_position(direction=Direction.SHORT, take_profit=Decimal(90)), atr=Decimal(1)
    )
    [action] = run([short], ask("95"))
    assert isinstance(action, MoveStop)
    assert (action.old_stop, action.new_stop) == (Decimal(102), Decimal(97))


def test_monitor_exits_a_position_held_for_the_maximum_time() -> None:
    s = settings(monitor={"max_holding": "P1D"})
    day = timedelta(days=1)
    assert run([monitored()], bid("100"), s, T0 + day - timedelta(seconds=1)) == []
    [action] = run([monitored()], bid("100"), s, T0 + day)
    assert action.rule == Rule.TIME_EXIT


def test_monitor_closes_an_unprotected_position_after_the_grace_period() -> None:
    naked = monitored(stop_order_active=False, unprotected_since=T0)
    assert run([naked], bid("100"), as_of=T0 + timedelta(seconds=60)) == []
    [action] = run([naked], bid("100"), as_of=T0 + timedelta(seconds=61))
    assert action.rule == Rule.UNPROTECTED_POSITION


def test_monitor_closes_a_position_whose_floating_loss_passes_its_limit() -> None:
    big = monitored(open_position(quantity=Decimal(1_000)))
    [action] = run([big], bid("98.4"))
    assert isinstance(action, ClosePosition)
    assert action.rule == Rule.POSITION_UNREALIZED_LOSS


def test_monitor_only_alerts_on_floating_loss_when_configured_to_reject_entries() -> None:
    s = settings(account={"position_unrealized_loss_action": "reject_entries"})
    big = monitored(open_position(quantity=Decimal(1_000)))
    [action] = run([big], bid("98.4"), s)
    assert isinstance(action, Alert)
    assert (action.measured, action.limit) == ("1.600%", "1.500%")


def _leveraged() -> MonitoredPosition:
    position = open_position(stop_loss=Decimal(95), take_profit=Decimal(110))
    return monitored(position, leverage=Decimal(10), maintenance_margin_rate=Decimal("0.07"))


@pytest.mark.parametrize(
    ("price", "expected"),
    [("99", None), ("98.6", Alert), ("97.5", ReducePosition)],
)
def test_monitor_guards_leveraged_positions_against_liquidation(
    price: str, expected: type | None
) -> None:
    actions = run([_leveraged()], bid(price))
    assert [type(a) for a in actions] == ([] if expected is None else [expected])
    if expected is ReducePosition:
        assert actions[0].quantity == Decimal("0.25")  # type: ignore[union-attr]


def test_margin_usage_is_maintenance_over_position_equity() -> None:
    usage = margin_usage(_leveraged(), Decimal(98), Decimal(-1))
    assert usage == Decimal("3.43") / Decimal(4)
    assert margin_usage(monitored(), Decimal(98), Decimal(-1)) is None


def test_monitor_alerts_when_a_symbol_has_no_price() -> None:
    [action] = run([monitored()], {})
    assert isinstance(action, Alert)
    assert action.rule == Rule.NO_QUOTE


def test_monitor_keeps_managing_exits_in_safe_mode() -> None:
    s = RiskSettings()
    rules = trip_safe_mode(state(s), SafeModeCause.MANUAL, "drill", T0, s).state
    actions = monitor([wide()], bid("102"), rules, T0, s)
    assert [type(a) for a in actions] == [MoveStop]


def test_monitor_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run([], {}, as_of=T0.replace(tzinfo=None))
