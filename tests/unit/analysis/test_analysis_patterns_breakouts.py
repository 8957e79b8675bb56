"""Range and level breakouts: confirmed on the close, gated and scored by volume."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quorum.analysis.patterns import BreakoutParams, find_breakouts
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe

SYMBOL = "ETH/USDT"


def ranging_then(
    last_close: float, last_volume: float, last_high: float | None = None
) -> pd.DataFrame:
    """40 bars oscillating around 100 (±1, period 10), then one bar closing at ``last_close``."""
    i = np.arange(40)
    close = np.r_[100.0 + np.sin(2 * np.pi * i / 10), last_close]
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + 0.1
    low = np.minimum(open_, close) - 0.1
    if last_high is not None:
        high[-1] = last_high
    volume = np.r_[np.full(40, 100.0), last_volume]
    index = pd.date_range("2024-03-01", periods=41, freq="15min", tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def unit_atr(bars: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"atr": 1.0}, index=bars.index)


def by_name(bars: pd.DataFrame, params: BreakoutParams | None = None) -> dict[str, PatternHit]:
    hits = find_breakouts(SYMBOL, Timeframe.M15, bars, unit_atr(bars), params)
    return {h.name: h for h in hits}


def test_range_breakout_on_double_volume_is_reported_bullish() -> None:
    bars = ranging_then(102.5, 200.0)
    hits = find_breakouts(SYMBOL, Timeframe.M15, bars, unit_atr(bars))
    rng = next(h for h in hits if h.name == "range_breakout")
    assert rng.family is PatternFamily.BREAKOUT
    assert rng.bias is Bias.BULLISH
    assert rng.details["volume_ratio"] == pytest.approx(2.0)
    assert rng.details["break_atr"] == pytest.approx(102.5 - bars["high"].iloc[20:40].max())
    assert rng.bars[-1] == bars.index[-1]
    assert rng.level is not None
    assert float(rng.level) == pytest.approx(bars["high"].iloc[20:40].max())


def test_close_through_the_clustered_highs_is_also_a_level_breakout_with_its_touch_bars() -> None:
    bars = ranging_then(102.5, 200.0)
    hit = next(
        h
        for h in find_breakouts(SYMBOL, Timeframe.M15, bars, unit_atr(bars))
        if h.name == "level_breakout"
    )
    assert hit.details["touches"] >= 3
    assert len(hit.bars) == hit.details["touches"] + 1
    assert hit.bars[-1] == bars.index[-1]
    assert hit.bias is Bias.BULLISH


def test_same_break_on_low_volume_is_not_reported() -> None:
    bars = ranging_then(102.5, 80.0)
    assert find_breakouts(SYMBOL, Timeframe.M15, bars, unit_atr(bars)) == []


def test_low_volume_break_scores_lower_than_high_volume_when_the_gate_is_open() -> None:
    params = BreakoutParams(min_volume_ratio=1.0)
    loud = by_name(ranging_then(102.5, 200.0), params)["range_breakout"]
    quiet = by_name(ranging_then(102.5, 110.0), params)["range_breakout"]
    assert quiet.confidence < loud.confidence


def test_wick_above_the_range_without_a_close_beyond_it_is_not_a_breakout() -> None:
    bars = ranging_then(100.9, 300.0, last_high=103.0)
    assert by_name(bars) == {}


def test_close_beyond_the_range_by_less_than_min_break_atr_is_not_a_breakout() -> None:
    edge = float(ranging_then(100.0, 1.0)["high"].iloc[20:40].max())
    bars = ranging_then(edge + 0.1, 300.0)
    assert "range_breakout" not in by_name(bars, BreakoutParams(min_break_atr=0.25))
    assert "range_breakout" in by_name(bars, BreakoutParams(min_break_atr=0.05))


def test_close_below_the_range_on_volume_is_a_bearish_breakdown() -> None:
    hits = by_name(ranging_then(97.5, 250.0))
    assert hits["range_breakdown"].bias is Bias.BEARISH
    assert "level_breakdown" in hits
    assert "range_breakout" not in hits


def test_bigger_break_on_the_same_volume_has_higher_confidence() -> None:
    small = by_name(ranging_then(101.6, 200.0))["range_breakout"]
    large = by_name(ranging_then(103.0, 200.0))["range_breakout"]
    assert small.confidence < large.confidence


def test_breakout_one_bar_ago_is_reported_only_when_recent_bars_cover_it() -> None:
    bars = ranging_then(102.5, 200.0)
    after = bars.index[-1] + pd.Timedelta(minutes=15)
    follow = pd.DataFrame(
        {"open": 102.5, "high": 102.8, "low": 102.3, "close": 102.6, "volume": 100.0},
        index=pd.DatetimeIndex([after]),
    )
    longer = pd.concat([bars, follow])
    assert by_name(longer) == {}
    hits = by_name(longer, BreakoutParams(recent_bars=2))
    assert hits["range_breakout"].bars[-1] == bars.index[-1]


def test_atr_warm_up_reports_no_breakout() -> None:
    bars = ranging_then(102.5, 200.0)
    ind = pd.DataFrame({"atr": np.nan}, index=bars.index)
    assert find_breakouts(SYMBOL, Timeframe.M15, bars, ind) == []
