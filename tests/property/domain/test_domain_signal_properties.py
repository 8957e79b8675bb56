"""Signals and positions obey the trader's stop/take-profit rules, exactly at the edges."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.strategies import directions, positions, prices, signals

from quorum.domain import Direction, Position, PositionState, Signal
from quorum.testing import make_position, make_signal

MIN_DISTANCE = Fraction(1, 1000)
MAX_DISTANCE = Fraction(1, 10)


def stop_is_valid(direction: Direction, entry: Decimal, stop: Decimal) -> bool:
    """The rule, evaluated in exact rational arithmetic (the oracle)."""
    if direction is Direction.LONG and stop >= entry:
        return False
    if direction is Direction.SHORT and stop <= entry:
        return False
    distance = abs(Fraction(entry) - Fraction(stop)) / Fraction(entry)
    return MIN_DISTANCE <= distance <= MAX_DISTANCE


def take_profit_is_valid(direction: Direction, entry: Decimal, take_profit: Decimal) -> bool:
    return take_profit > entry if direction is Direction.LONG else take_profit < entry


@settings(max_examples=100, deadline=None)
@given(signal=signals())
def test_generated_signals_satisfy_stop_and_take_profit_rules(signal: Signal) -> None:
    assert stop_is_valid(signal.direction, signal.entry, signal.stop_loss)
    assert Decimal("0.001") <= signal.stop_distance <= Decimal("0.1")
    if signal.take_profit is not None:
        assert take_profit_is_valid(signal.direction, signal.entry, signal.take_profit)


# Stops as entry × (1 + offset): offsets cluster around the rule's edges (±0.1%, ±10%)
# with exact boundary values and their nearest neighbours at 6 decimal places.
_edges = [Decimal(s) for s in ("0.001", "0.1", "-0.001", "-0.1")]
_offsets = st.one_of(
    st.sampled_from(_edges),
    st.tuples(st.sampled_from(_edges), st.sampled_from([-1, 1])).map(
        lambda p: p[0] + p[1] * Decimal("0.000001")
    ),
    st.integers(min_value=-150_000, max_value=150_000).map(lambda i: Decimal(i).scaleb(-6)),
)


def _build_signal(direction: Direction, entry: Decimal, stop: Decimal) -> Signal:
    return make_signal(direction=direction, entry=entry, stop_loss=stop, take_profit=None)


def refusal(build: Callable[[], object]) -> str | None:
    """The validation message if ``build`` is refused, else ``None``."""
    try:
        build()
    except ValidationError as error:
        return str(error)
    return None


@settings(max_examples=200, deadline=None)
@given(direction=directions, entry=prices(), offset=_offsets)
def test_signal_accepted_iff_stop_within_distance_bounds_on_losing_side(
    direction: Direction, entry: Decimal, offset: Decimal
) -> None:
    stop = entry * (1 + offset)
    expected = stop > 0 and stop_is_valid(direction, entry, stop)
    error = refusal(lambda: _build_signal(direction, entry, stop))
    assert (error is None) == expected, f"entry={entry} stop={stop}: {error}"
    assert error is None or "stop_loss" in error


@settings(max_examples=100, deadline=None)
@given(direction=directions, entry=prices(), stop=prices())
def test_signal_accepted_iff_stop_valid_for_unrelated_prices(
    direction: Direction, entry: Decimal, stop: Decimal
) -> None:
    expected = stop_is_valid(direction, entry, stop)
    error = refusal(lambda: _build_signal(direction, entry, stop))
    assert (error is None) == expected, f"entry={entry} stop={stop}: {error}"


@settings(max_examples=100, deadline=None)
@given(
    direction=directions,
    take_profit_offset=st.integers(min_value=-50_000, max_value=50_000).map(
        lambda i: Decimal(i).scaleb(-5)
    ),
)
def test_signal_accepted_iff_take_profit_on_winning_side(
    direction: Direction, take_profit_offset: Decimal
) -> None:
    entry = Decimal("100")
    take_profit = entry * (1 + take_profit_offset)
    stop = Decimal("98") if direction is Direction.LONG else Decimal("102")
    expected = take_profit_is_valid(direction, entry, take_profit)
    error = refusal(
        lambda: make_signal(
            direction=direction, entry=entry, stop_loss=stop, take_profit=take_profit
        )
    )
    assert (error is None) == expected, f"take_profit={take_profit}: {error}"
    assert error is None or "take_profit" in error


@settings(max_examples=100, deadline=None)
@given(position=positions())
def test_generated_open_positions_satisfy_stop_and_take_profit_rules(position: Position) -> None:
    if position.average_entry is None or position.state is PositionState.CLOSED:
        return
    assert stop_is_valid(position.direction, position.average_entry, position.stop_loss)
    if position.take_profit is not None:
        assert take_profit_is_valid(
            position.direction, position.average_entry, position.take_profit
        )


@settings(max_examples=100, deadline=None)
@given(direction=directions, entry=prices(), offset=_offsets)
def test_active_position_accepted_iff_stop_valid(
    direction: Direction, entry: Decimal, offset: Decimal
) -> None:
    stop = entry * (1 + offset)
    expected = stop > 0 and stop_is_valid(direction, entry, stop)
    changes: dict[str, Any] = {
        "state": PositionState.ACTIVE,
        "direction": direction,
        "average_entry": entry,
        "stop_loss": stop,
        "take_profit": None,
    }
    error = refusal(lambda: make_position(**changes))
    assert (error is None) == expected, f"entry={entry} stop={stop}: {error}"
    assert error is None or "stop_loss" in error
