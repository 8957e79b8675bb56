"""Candlestick shapes on the last closed bar, in their trend / range context."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quorum.analysis.patterns import CandleParams, find_candles
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe

SYMBOL = "SOL/USDT"
Candle = tuple[float, float, float, float]  # open, high, low, close


def series(context: npt.NDArray[np.floating[Any]], *last: Candle) -> pd.DataFrame:
    """Context closes (small-wick bars, open = previous close) followed by ``last`` candles."""
    open_ = np.r_[context[0], context[:-1]]
    rows = [(o, max(o, c) + 0.1, min(o, c) - 0.1, c) for o, c in zip(open_, context, strict=True)]
    rows.extend(last)
    index = pd.date_range("2024-05-01", periods=len(rows), freq="4h", tz="UTC")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 100.0
    return frame


def candles(bars: pd.DataFrame, params: CandleParams | None = None) -> dict[str, PatternHit]:
    ind = pd.DataFrame({"atr": 1.0}, index=bars.index)
    hits = find_candles(SYMBOL, Timeframe.H4, bars, ind, params)
    assert all(h.family is PatternFamily.CANDLESTICK for h in hits)
    return {h.name: h for h in hits}


DOWN = np.linspace(110.0, 100.0, 16)
UP = np.linspace(100.0, 110.0, 16)
FLAT = 100.0 + 0.3 * np.sin(np.arange(24))


def test_hammer_at_the_end_of_a_downtrend_is_bullish() -> None:
    bars = series(DOWN, (100.0, 100.4, 98.0, 100.3))
    found = candles(bars)
    assert set(found) == {"hammer"}
    hammer = found["hammer"]
    assert hammer.bias is Bias.BULLISH
    assert hammer.bars == (bars.index[-1],)
    assert hammer.level is not None
    assert float(hammer.level) == pytest.approx(98.0)
    assert hammer.confidence > 0.6


def test_the_same_pin_at_the_bottom_of_a_flat_range_is_a_bullish_pin_bar() -> None:
    found = candles(series(FLAT, (100.0, 100.4, 98.0, 100.3)))
    assert set(found) == {"bullish_pin_bar"}
    assert found["bullish_pin_bar"].bias is Bias.BULLISH


def test_hammer_shape_at_the_top_of_an_uptrend_is_not_reported_as_bullish() -> None:
    found = candles(series(UP, (110.0, 110.4, 108.0, 110.3)))
    assert "hammer" not in found
    assert "bullish_pin_bar" not in found


def test_shooting_star_at_the_end_of_an_uptrend_is_bearish() -> None:
    found = candles(series(UP, (110.0, 112.0, 109.6, 109.7)))
    assert set(found) == {"shooting_star"}
    assert found["shooting_star"].bias is Bias.BEARISH


def test_bearish_pin_at_the_top_of_a_flat_range_is_a_bearish_pin_bar() -> None:
    found = candles(series(FLAT, (100.0, 102.0, 99.6, 99.7)))
    assert set(found) == {"bearish_pin_bar"}


def test_bullish_engulfing_pair_after_a_decline_reports_both_bars() -> None:
    bars = series(DOWN, (101.0, 101.1, 99.9, 100.0), (100.0, 101.9, 99.9, 101.8))
    found = candles(bars)
    assert set(found) == {"bullish_engulfing"}
    hit = found["bullish_engulfing"]
    assert hit.bias is Bias.BULLISH
    assert hit.bars == tuple(bars.index[-2:])
    assert hit.confidence > 0.6


def test_bearish_engulfing_pair_after_a_rise_is_bearish() -> None:
    bars = series(UP, (109.0, 110.1, 108.9, 110.0), (110.0, 110.1, 107.9, 108.0))
    found = candles(bars)
    assert set(found) == {"bearish_engulfing"}
    assert found["bearish_engulfing"].bias is Bias.BEARISH


def test_engulfing_in_context_scores_higher_than_without_a_prior_trend() -> None:
    pair = ((101.0, 101.1, 99.9, 100.0), (100.0, 101.9, 99.9, 101.8))
    after_decline = candles(series(DOWN, *pair))["bullish_engulfing"]
    after_rise = candles(series(UP - 10.0, *pair))["bullish_engulfing"]
    assert after_rise.confidence < after_decline.confidence


def test_small_body_that_does_not_cover_the_previous_body_is_not_engulfing() -> None:
    found = candles(series(DOWN, (101.0, 101.1, 99.9, 100.0), (100.0, 100.9, 99.9, 100.8)))
    assert "bullish_engulfing" not in found


def test_doji_with_balanced_wicks_is_neutral() -> None:
    found = candles(series(FLAT, (100.0, 100.8, 99.2, 100.02)))
    assert set(found) == {"doji"}
    assert found["doji"].bias is Bias.NEUTRAL
    assert found["doji"].level is None


def test_bar_with_a_range_far_below_atr_is_not_read() -> None:
    assert candles(series(DOWN, (100.0, 100.01, 99.9, 100.008))) == {}


def test_only_the_last_recent_bars_are_examined() -> None:
    bars = series(DOWN, (100.0, 100.4, 98.0, 100.3), (100.3, 101.0, 100.2, 100.9))
    assert "hammer" not in candles(bars)
    assert "hammer" in candles(bars, CandleParams(recent_bars=2))


def test_atr_warm_up_reports_no_candle() -> None:
    bars = series(DOWN, (100.0, 100.4, 98.0, 100.3))
    ind = pd.DataFrame({"atr": np.nan}, index=bars.index)
    assert find_candles(SYMBOL, Timeframe.H4, bars, ind) == []
