"""Accepted values, boundaries, normalisation and the small behaviours of the domain models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from quorum.domain import (
    Bias,
    Direction,
    OrderState,
    PositionState,
    Side,
    Signal,
    Verdict,
    split_symbol,
)
from quorum.testing import (
    T0,
    make_agent_opinion,
    make_bar,
    make_fill,
    make_order_intent,
    make_pattern_hit,
    make_position,
    make_risk_decision,
    make_rule_check,
    make_signal,
)

BERLIN_SUMMER = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("direction", "stop"),
    [
        ("long", Decimal("99.9")),
        ("long", Decimal("90")),
        ("short", Decimal("100.1")),
        ("short", Decimal("110")),
    ],
    ids=["long-0.1pct", "long-10pct", "short-0.1pct", "short-10pct"],
)
def test_signal_accepts_stop_exactly_at_distance_boundaries(direction: str, stop: Decimal) -> None:
    tp = Decimal("105") if direction == "long" else Decimal("95")
    signal = make_signal(direction=direction, stop_loss=stop, take_profit=tp)
    assert signal.stop_distance in (Decimal("0.001"), Decimal("0.1"))


@pytest.mark.parametrize("leverage", [Decimal(1), Decimal("2.5"), Decimal(10)])
def test_signal_accepts_leverage_from_one_to_ten(leverage: Decimal) -> None:
    assert make_signal(leverage=leverage).leverage == leverage


@pytest.mark.parametrize("confidence", [0.0, 0.5, 1.0])
def test_signal_accepts_confidence_boundaries(confidence: float) -> None:
    assert make_signal(confidence=confidence).confidence == confidence


def test_signal_without_take_profit_is_valid() -> None:
    assert make_signal(take_profit=None).take_profit is None


def test_signal_stop_distance_is_fraction_of_entry() -> None:
    signal = make_signal(entry=Decimal("250"), stop_loss=Decimal("245"))
    assert signal.stop_distance == Decimal("0.02")


@pytest.mark.parametrize("symbol", ["BTC/USDT", "ETH/USDT:USDT", "1000PEPE/USDC", "BTC/USD:BTC"])
def test_symbol_accepts_ccxt_unified_spot_and_swap(symbol: str) -> None:
    assert make_signal(symbol=symbol).symbol == symbol


def test_split_symbol_returns_base_and_quote_ignoring_settle() -> None:
    assert split_symbol("BTC/USDT") == ("BTC", "USDT")
    assert split_symbol("ETH/USDT:USDT") == ("ETH", "USDT")


def test_split_symbol_refuses_exchange_native_symbol() -> None:
    with pytest.raises(ValueError, match="ccxt unified symbol"):
        split_symbol("BTCUSDT")


def test_aware_non_utc_datetime_is_normalised_to_utc_same_instant() -> None:
    local = datetime(2024, 1, 1, 2, 0, tzinfo=BERLIN_SUMMER)
    signal = make_signal(as_of=local)
    assert signal.as_of.tzinfo is UTC
    assert signal.as_of == local
    assert signal.as_of.hour == 0


def test_bar_timestamp_in_other_zone_is_checked_on_the_utc_grid() -> None:
    bar = make_bar(timeframe="1d", ts=datetime(2024, 1, 1, 2, 0, tzinfo=BERLIN_SUMMER))
    assert bar.ts == T0
    assert bar.close_time == T0 + timedelta(days=1)


def test_models_are_frozen() -> None:
    signal = make_signal()
    with pytest.raises(ValidationError, match="frozen"):
        signal.entry = Decimal(1)  # type: ignore[misc]


def test_evolve_revalidates_changes() -> None:
    signal = make_signal()
    moved = signal.evolve(stop_loss=Decimal("97"))
    assert isinstance(moved, Signal)
    assert moved.stop_loss == Decimal("97")
    with pytest.raises(ValidationError, match="stop_loss: must be below entry"):
        signal.evolve(stop_loss=Decimal("101"))


def test_decimal_precision_survives_json_round_trip() -> None:
    signal = make_signal(entry=Decimal("0.00012340"), stop_loss=Decimal("0.00012200"))
    restored = Signal.model_validate_json(signal.model_dump_json())
    assert str(restored.entry) == "0.00012340"
    assert str(restored.stop_loss) == "0.00012200"


def test_side_opposite_and_direction_sides() -> None:
    assert Side.BUY.opposite is Side.SELL
    assert Side.SELL.opposite is Side.BUY
    assert Direction.LONG.entry_side is Side.BUY
    assert Direction.LONG.exit_side is Side.SELL
    assert Direction.SHORT.entry_side is Side.SELL
    assert Direction.SHORT.exit_side is Side.BUY


def test_bias_sign() -> None:
    assert [Bias.BULLISH.sign, Bias.BEARISH.sign, Bias.NEUTRAL.sign] == [1, -1, 0]


def test_agent_opinion_no_opinion_is_typed() -> None:
    silent = make_agent_opinion(stance=None, no_opinion_reason="unparseable reply")
    assert not silent.has_opinion
    assert silent.confidence == 0.0
    assert make_agent_opinion().has_opinion


def test_risk_decision_approval_and_failed_checks() -> None:
    failed = make_rule_check(rule="daily_loss", passed=False)
    rejected = make_risk_decision(verdict="rejected", checks=(make_rule_check(), failed))
    assert not rejected.approved
    assert rejected.failed == (failed,)
    resized = make_risk_decision(verdict=Verdict.RESIZED, quantity=Decimal("0.1"))
    assert resized.approved
    assert resized.failed == ()


def test_fill_notional_is_quantity_times_price() -> None:
    fill = make_fill(quantity=Decimal("0.25"), price=Decimal("64000.5"))
    assert fill.notional == Decimal("16000.125")


@pytest.mark.parametrize(
    ("direction", "mark", "expected"),
    [
        ("long", Decimal("103"), Decimal("1.5")),
        ("long", Decimal("99"), Decimal("-0.5")),
        ("short", Decimal("99"), Decimal("0.5")),
        ("short", Decimal("103"), Decimal("-1.5")),
    ],
)
def test_position_unrealized_pnl_follows_direction(
    direction: str, mark: Decimal, expected: Decimal
) -> None:
    position = make_position(state=PositionState.ACTIVE, direction=direction)
    assert position.unrealized_pnl(mark) == expected


def test_position_without_entry_has_zero_unrealized_pnl() -> None:
    assert make_position().unrealized_pnl(Decimal("150")) == Decimal(0)


def test_closed_position_keeps_levels_unchecked_against_entry() -> None:
    closed = make_position(state=PositionState.CLOSED, stop_loss=Decimal("120"))
    assert closed.state is PositionState.CLOSED


def test_pattern_hit_last_bar_is_latest_open_time() -> None:
    hit = make_pattern_hit(bars=(T0 - timedelta(hours=2), T0 - timedelta(hours=1), T0))
    assert hit.last_bar == T0


def test_order_intent_limit_and_stop_orders_need_their_prices() -> None:
    limit = make_order_intent(order_type="limit", price=Decimal("99.5"))
    stop = make_order_intent(order_type="stop", stop_price=Decimal("98"), leg="stop_loss")
    assert limit.price == Decimal("99.5")
    assert stop.stop_price == Decimal("98")


def test_order_state_terminal_flags() -> None:
    terminal = {s for s in OrderState if s.terminal}
    assert terminal == {
        OrderState.FILLED,
        OrderState.CANCELLED,
        OrderState.REJECTED,
        OrderState.EXPIRED,
    }
