"""Swing pivots and support / resistance levels on constructed series with known answers."""

from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from quorum.analysis.patterns import LevelParams, SwingParams, find_levels, find_swings
from quorum.domain.analysis import Bias, PatternFamily
from quorum.domain.timeframe import Timeframe

SYMBOL = "BTC/USDT"
FloatArray = npt.NDArray[np.float64]


def path(points: list[float], steps: int = 6) -> FloatArray:
    """Straight legs between waypoints; waypoint k sits at position k × steps."""
    out = [points[0]]
    for a, b in itertools.pairwise(points):
        out.extend(np.linspace(a, b, steps + 1)[1:].tolist())
    return np.asarray(out)


def frame(close: FloatArray, wick: float = 0.2, volume: FloatArray | None = None) -> pd.DataFrame:
    close = np.asarray(close, dtype=float)
    open_ = np.r_[close[0], close[:-1]]
    index = pd.date_range("2024-01-01", periods=close.shape[0], freq="1h", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + wick,
            "low": np.minimum(open_, close) - wick,
            "close": close,
            "volume": np.full(close.shape[0], 100.0) if volume is None else volume,
        },
        index=index,
    )


def atr_frame(bars: pd.DataFrame, atr: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"atr": atr}, index=bars.index)


def test_find_swings_reports_the_peaks_and_troughs_of_a_zigzag() -> None:
    bars = frame(path([105, 100, 106, 100, 106, 100, 105]))
    swings = find_swings(bars, SwingParams(left=3, right=3))
    assert swings.lows.tolist() == [6, 18, 30]
    assert swings.highs.tolist() == [12, 24]


def test_pivot_is_reported_only_once_its_right_bars_have_closed() -> None:
    close = np.r_[np.linspace(100, 110, 11), np.linspace(109, 100, 10)]  # peak at bar 10
    bars = frame(close)
    params = SwingParams(left=3, right=3)
    for cut in range(11, 14):  # bars 11..13 are the confirmation bars of the peak
        assert 10 not in find_swings(bars.iloc[:cut], params).highs.tolist(), cut
    assert 10 in find_swings(bars.iloc[:14], params).highs.tolist()
    assert find_swings(bars, params).highs.tolist() == [10]


def test_flat_top_yields_a_single_pivot_on_its_first_bar() -> None:
    close = np.array([1, 2, 3, 4, 5, 5, 5, 4, 3, 2, 1], dtype=float) + 100
    bars = frame(close, wick=0.0)
    bars["open"] = bars["close"]
    bars["high"] = bars["close"]
    bars["low"] = bars["close"]
    assert find_swings(bars, SwingParams(left=2, right=2)).highs.tolist() == [4]


def test_frame_shorter_than_the_pivot_window_has_no_swings() -> None:
    swings = find_swings(frame(np.array([100.0, 101.0, 100.0])), SwingParams(left=5, right=3))
    assert swings.highs.size == 0
    assert swings.lows.size == 0


def test_three_touches_at_100_give_one_support_near_100_with_three_touches() -> None:
    bars = frame(path([105, 100, 106, 100.1, 106.3, 99.9, 105]), wick=0.0)
    hits = find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars))
    supports = [h for h in hits if h.name == "support"]
    assert len(supports) == 1
    support = supports[0]
    assert support.family is PatternFamily.SUPPORT_RESISTANCE
    assert support.bias is Bias.BULLISH
    assert support.details["touches"] == 3
    assert support.level is not None
    assert abs(support.level - Decimal(100)) <= Decimal("0.1")
    assert support.bars == tuple(pd.DatetimeIndex(bars.index[[6, 18, 30]]).to_pydatetime())
    assert 0.6 < support.confidence <= 1.0


def test_level_above_the_last_close_is_a_bearish_resistance() -> None:
    bars = frame(path([100, 110, 104, 110.2, 104, 109.9, 106]), wick=0.0)
    hits = find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars))
    resistances = [h for h in hits if h.name == "resistance"]
    assert len(resistances) == 1
    assert resistances[0].bias is Bias.BEARISH
    assert resistances[0].details["touches"] == 3
    assert resistances[0].level is not None
    assert abs(float(resistances[0].level) - 110.03) < 0.01


def test_pivots_further_apart_than_the_atr_tolerance_do_not_form_a_level() -> None:
    bars = frame(path([105, 100, 106, 102, 108, 104, 110]), wick=0.0)
    assert find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars, atr=1.0)) == []


def test_wider_atr_tolerance_merges_the_same_pivots_into_one_level() -> None:
    bars = frame(path([105, 100, 106, 101, 110, 102, 114]), wick=0.0)
    narrow = find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars, atr=1.0))
    wide = find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars, atr=3.0))
    assert narrow == []
    assert [h.details["touches"] for h in wide if h.name == "support"] == [3]


def test_volume_weighting_pulls_the_level_toward_the_heavy_touch() -> None:
    bars = frame(path([105, 100, 106, 100.4, 106, 100.2, 105]), wick=0.0)
    volume = bars["volume"].to_numpy().copy()
    volume[6] = 10_000.0  # the touch at 100
    bars["volume"] = volume
    by_volume = find_levels(SYMBOL, Timeframe.H1, bars, atr_frame(bars))
    by_touch = find_levels(
        SYMBOL, Timeframe.H1, bars, atr_frame(bars), LevelParams(weighting="touch")
    )
    v = next(h.level for h in by_volume if h.name == "support")
    t = next(h.level for h in by_touch if h.name == "support")
    assert v is not None
    assert t is not None
    assert float(t) == pytest.approx(100.2)
    assert float(v) < 100.05


def test_level_that_price_sliced_through_has_lower_confidence_than_a_clean_one() -> None:
    clean = frame(path([105, 100, 106, 100, 103, 100, 106]), wick=0.0)
    # Same three touches at 100 (low, low, then a high from below), but closes cross it twice.
    choppy = frame(path([105, 100, 106, 100, 103, 95, 100, 96, 106]), wick=0.0)
    clean_hit = next(
        h for h in find_levels(SYMBOL, Timeframe.H1, clean, atr_frame(clean)) if h.name == "support"
    )
    choppy_hits = find_levels(SYMBOL, Timeframe.H1, choppy, atr_frame(choppy))
    choppy_hit = next(h for h in choppy_hits if h.details["touches"] == 3)
    assert choppy_hit.details["crossings"] == 2
    assert clean_hit.details["crossings"] == 0
    assert choppy_hit.confidence < clean_hit.confidence


def test_no_level_is_reported_while_atr_is_still_warming_up() -> None:
    bars = frame(path([105, 100, 106, 100, 106, 100, 105]))
    ind = pd.DataFrame({"atr": np.nan}, index=bars.index)
    assert find_levels(SYMBOL, Timeframe.H1, bars, ind) == []


def test_older_touches_outside_the_lookback_are_ignored() -> None:
    bars = frame(path([105, 100, 106, 100, 108, 112, 116, 120, 118, 121, 119, 122]), wick=0.0)
    hits = find_levels(
        SYMBOL,
        Timeframe.H1,
        bars,
        atr_frame(bars),
        LevelParams(lookback_bars=40, max_distance_atr=50),
    )
    assert all(h.level is not None and h.level > 110 for h in hits)
