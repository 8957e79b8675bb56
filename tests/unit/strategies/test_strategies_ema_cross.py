"""EMA cross on the rule-strategy interface: pandas-identical EMAs, one bar at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.domain import Bar, Direction, Timeframe
from quorum.strategies import Enter, Exit, Holding, parse_strategy
from quorum.strategies.ema_cross import Ema, EmaCross

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def bar(i: int, close: float, symbol: str = "BTC/USDT") -> Bar:
    price = Decimal(repr(close))
    return Bar(
        symbol=symbol,
        timeframe=Timeframe.H1,
        ts=T0 + timedelta(hours=i),
        open=price,
        high=price,
        low=price,
        close=price,
        volume=Decimal(1),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=1, max_size=80),
    st.integers(min_value=1, max_value=60),
)
def test_ema_recurrence_is_bit_identical_to_pandas(closes: list[float], span: int) -> None:
    ema = Ema(span)
    ours = [ema.update(x) for x in closes]
    theirs = pd.Series(closes).ewm(span=span, adjust=False).mean().tolist()
    assert ours == theirs


def test_golden_cross_proposes_a_long_with_stop_and_target_only_when_flat() -> None:
    closes = [110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100, 106]
    strategy = EmaCross(2, 4).build()
    proposals = [strategy.on_bar(bar(i, c), Holding.FLAT) for i, c in enumerate(closes)]
    assert proposals[:-1] == [None] * (len(closes) - 1)
    last = proposals[-1]
    assert isinstance(last, Enter)
    assert last.direction is Direction.LONG
    assert last.stop_loss == Decimal("100.7")
    assert last.take_profit == Decimal("121.9")
    again = EmaCross(2, 4).build()
    held = [again.on_bar(bar(i, c), Holding.PENDING) for i, c in enumerate(closes)]
    assert held == [None] * len(closes)


def test_death_cross_proposes_the_exit_of_an_open_long_only() -> None:
    closes = [100, 101, 102, 103, 104, 105, 106, 100]
    strategy = EmaCross(2, 4).build()
    out = [strategy.on_bar(bar(i, c), Holding.LONG) for i, c in enumerate(closes)]
    assert isinstance(out[-1], Exit)
    flat = EmaCross(2, 4).build()
    assert [flat.on_bar(bar(i, c), Holding.FLAT) for i, c in enumerate(closes)][-1] is None


def test_symbols_keep_separate_state() -> None:
    strategy = EmaCross(2, 4).build()
    for i, c in enumerate([110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100]):
        strategy.on_bar(bar(i, c), Holding.FLAT)
    assert strategy.on_bar(bar(0, 106, "ETH/USDT"), Holding.FLAT) is None
    assert isinstance(strategy.on_bar(bar(11, 106), Holding.FLAT), Enter)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("macd:1,2", r"expected 'agents' or one of 'ema-cross:…'"),
        ("ema-cross:5", r"expected ema-cross:FAST,SLOW"),
        ("ema-cross:30,10", r"need 1 <= FAST < SLOW"),
        ("ema-cross:5,20,0.5", r"STOP must be within"),
    ],
)
def test_bad_strategy_specs_are_refused_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_strategy(text)


def test_agents_is_the_analysis_pipeline_not_a_rule() -> None:
    assert parse_strategy("agents") is None
    rule = parse_strategy("ema-cross:10,30")
    assert rule is not None
    assert rule.name == "ema-cross:10,30,0.05,0.15"
