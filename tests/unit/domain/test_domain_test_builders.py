"""The quorum.testing builders: valid defaults, honoured overrides, seeded determinism."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from pydantic import ValidationError

from quorum.domain import (
    Direction,
    DomainModel,
    OrderState,
    PositionState,
    Timeframe,
    Verdict,
    first_bar_violation,
)
from quorum.testing import (
    T0,
    bars_df_from_closes,
    make_agent_opinion,
    make_bar,
    make_bars_df,
    make_bars_frame,
    make_confluence_score,
    make_fill,
    make_indicator_snapshot,
    make_journal_entry,
    make_order,
    make_order_intent,
    make_pattern_hit,
    make_position,
    make_quote,
    make_regime,
    make_risk_decision,
    make_rule_check,
    make_scan_result,
    make_score_component,
    make_signal,
    make_timeframe_scan,
)

BUILDERS: list[Callable[..., DomainModel]] = [
    make_bar,
    make_quote,
    make_indicator_snapshot,
    make_pattern_hit,
    make_regime,
    make_timeframe_scan,
    make_scan_result,
    make_agent_opinion,
    make_score_component,
    make_confluence_score,
    make_signal,
    make_rule_check,
    make_risk_decision,
    make_order_intent,
    make_order,
    make_fill,
    make_position,
    make_journal_entry,
]


@pytest.mark.parametrize("build", BUILDERS, ids=lambda build: build.__name__)
def test_builder_default_is_valid_and_round_trips_through_json(
    build: Callable[..., DomainModel],
) -> None:
    value = build()
    assert type(value).model_validate_json(value.model_dump_json()) == value


def test_builder_override_replaces_field_and_is_validated() -> None:
    assert make_bar(volume=Decimal(0)).volume == Decimal(0)
    with pytest.raises(ValidationError, match="volume"):
        make_bar(volume=Decimal(-1))


def test_make_signal_short_mirrors_default_levels() -> None:
    short = make_signal(direction="short")
    assert short.direction is Direction.SHORT
    assert short.stop_loss > short.entry > (short.take_profit or Decimal(0))


def test_make_signal_levels_follow_overridden_entry() -> None:
    signal = make_signal(entry=Decimal("0.0025"))
    assert signal.stop_distance == Decimal("0.02")


def test_make_signal_bad_direction_is_reported_by_validation() -> None:
    with pytest.raises(ValidationError, match="direction"):
        make_signal(direction="sideways")


@pytest.mark.parametrize("state", list(OrderState), ids=str)
def test_make_order_fill_progress_fits_each_state(state: OrderState) -> None:
    order = make_order(state=state)
    assert order.state is state
    if state is OrderState.FILLED:
        assert order.filled_quantity == order.quantity
    elif state is OrderState.PARTIALLY_FILLED:
        assert 0 < order.filled_quantity < order.quantity


@pytest.mark.parametrize("state", list(PositionState), ids=str)
@pytest.mark.parametrize("direction", list(Direction), ids=str)
def test_make_position_fits_each_state_and_direction(
    state: PositionState, direction: Direction
) -> None:
    position = make_position(state=state, direction=direction)
    assert (position.state, position.direction) == (state, direction)


def test_make_risk_decision_rejected_has_zero_quantity_and_failed_check() -> None:
    decision = make_risk_decision(verdict=Verdict.REJECTED)
    assert decision.quantity == 0
    assert decision.failed


def test_make_agent_opinion_without_stance_is_no_opinion() -> None:
    assert not make_agent_opinion(stance=None).has_opinion


def test_make_bars_df_is_deterministic_for_a_seed() -> None:
    first = make_bars_df(50, T0, Timeframe.M15, seed=11)
    again = make_bars_df(50, T0, Timeframe.M15, seed=11)
    other = make_bars_df(50, T0, Timeframe.M15, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


@pytest.mark.parametrize("timeframe", list(Timeframe), ids=str)
@pytest.mark.parametrize("start_price", [0.0001, 0.35, 100.0, 65000.0])
def test_make_bars_frame_is_valid_on_the_grid(timeframe: Timeframe, start_price: float) -> None:
    frame = make_bars_frame(200, T0, timeframe, seed=5, start_price=start_price, volatility=0.03)
    assert len(frame) == 200
    assert frame.df.index[0] == pd.Timestamp(T0)
    assert frame.df.index[-1] == pd.Timestamp(T0 + 199 * timeframe.delta)
    assert frame.df.iloc[0]["open"] == pytest.approx(start_price)
    assert first_bar_violation(frame.df, timeframe) is None


def test_make_bars_frame_bars_open_at_previous_close() -> None:
    df = make_bars_df(20, seed=2)
    assert list(df["open"].iloc[1:]) == list(df["close"].iloc[:-1])


def test_make_bars_df_rounds_to_requested_decimals() -> None:
    df = make_bars_df(30, seed=4, decimals=2)
    assert ((df[["open", "high", "low", "close"]] * 100).round(6) % 1 == 0).all().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, "n: must be >= 0"),
        ({"start": T0 + timedelta(minutes=1)}, "start: .* is not on the 1h grid"),
        ({"start": datetime(2024, 1, 1)}, "start: must be timezone-aware"),
        ({"start_price": 0.0}, "start_price: must be finite and > 0"),
        ({"volatility": 0.7}, r"volatility: must be in \[0, 0.5\)"),
    ],
)
def test_make_bars_df_refuses_bad_arguments_naming_them(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_bars_df(**kwargs)  # type: ignore[arg-type]


def test_bars_df_from_closes_keeps_exact_closes() -> None:
    closes = [100.0, 101.5, 99.25, 102.0]
    df = bars_df_from_closes(closes, T0, Timeframe.H4)
    assert list(df["close"]) == closes
    assert list(df["open"]) == [100.0, 100.0, 101.5, 99.25]
    assert first_bar_violation(df, Timeframe.H4) is None


def test_bars_df_from_closes_refuses_non_positive_close() -> None:
    with pytest.raises(ValueError, match="closes: every close must be finite and > 0"):
        bars_df_from_closes([1.0, 0.0])
