"""Regular and hidden divergences between the last two swings and RSI / MACD histogram."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import talib

from quorum.analysis.patterns import DivergenceParams, find_divergences
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe
from quorum.errors import ValidationFailed

SYMBOL = "BTC/USDT"
FIRST, SECOND = 6, 18  # waypoint positions of the two swings below


def frame(points: list[float], steps: int = 6) -> pd.DataFrame:
    close = [points[0]]
    for a, b in itertools.pairwise(points):
        close.extend(np.linspace(a, b, steps + 1)[1:].tolist())
    c = np.asarray(close)
    o = np.r_[c[0], c[:-1]]
    index = pd.date_range("2024-02-01", periods=c.shape[0], freq="1d", tz="UTC")
    return pd.DataFrame(
        {
            "open": o,
            "high": np.maximum(o, c) + 0.2,
            "low": np.minimum(o, c) - 0.2,
            "close": c,
            "volume": 10.0,
        },
        index=index,
    )


def oscillators(
    bars: pd.DataFrame,
    rsi: tuple[float, float] = (50.0, 50.0),
    hist: tuple[float, float] = (0.0, 0.0),
) -> pd.DataFrame:
    """Flat RSI / MACD histogram except at the two swing bars; ATR 1."""
    ind = pd.DataFrame({"atr": 1.0, "rsi": 50.0, "macd_hist": 0.0}, index=bars.index)
    swings = ind.index[[FIRST, SECOND]]
    ind.loc[swings, "rsi"] = rsi
    ind.loc[swings, "macd_hist"] = hist
    return ind


def divergences(bars: pd.DataFrame, ind: pd.DataFrame, **params: object) -> dict[str, PatternHit]:
    hits = find_divergences(
        SYMBOL, Timeframe.D1, bars, ind, DivergenceParams.model_validate(params)
    )
    assert all(h.family is PatternFamily.DIVERGENCE for h in hits)
    return {h.name: h for h in hits}


def test_lower_price_low_with_higher_rsi_low_is_a_regular_bullish_divergence() -> None:
    bars = frame([110, 100, 106, 98, 101])
    found = divergences(bars, oscillators(bars, rsi=(25.0, 35.0)))
    assert set(found) == {"regular_bullish_divergence_rsi"}
    hit = found["regular_bullish_divergence_rsi"]
    assert hit.bias is Bias.BULLISH
    assert hit.bars == (bars.index[FIRST], bars.index[SECOND])
    assert hit.level is not None
    assert float(hit.level) == pytest.approx(97.8)
    assert hit.details["oscillator_change"] == pytest.approx(10.0)
    assert hit.details["price_change_atr"] == pytest.approx(-2.0)
    assert hit.confidence > 0.5


def test_higher_price_low_with_lower_rsi_low_is_a_hidden_bullish_divergence() -> None:
    bars = frame([110, 100, 106, 102, 105])
    found = divergences(bars, oscillators(bars, rsi=(35.0, 25.0)))
    assert set(found) == {"hidden_bullish_divergence_rsi"}
    assert found["hidden_bullish_divergence_rsi"].bias is Bias.BULLISH


def test_higher_price_high_with_lower_macd_histogram_is_a_regular_bearish_divergence() -> None:
    bars = frame([90, 100, 94, 102, 99])
    found = divergences(bars, oscillators(bars, hist=(0.8, 0.3)))
    assert set(found) == {"regular_bearish_divergence_macd_hist"}
    assert found["regular_bearish_divergence_macd_hist"].bias is Bias.BEARISH


def test_lower_price_high_with_higher_rsi_high_is_a_hidden_bearish_divergence() -> None:
    bars = frame([90, 100, 94, 98, 95])
    found = divergences(bars, oscillators(bars, rsi=(60.0, 70.0)))
    assert set(found) == {"hidden_bearish_divergence_rsi"}


def test_oscillator_confirming_the_new_low_is_not_a_divergence() -> None:
    bars = frame([110, 100, 106, 98, 101])
    assert divergences(bars, oscillators(bars, rsi=(35.0, 25.0), hist=(-0.5, -0.9))) == {}


def test_oscillator_difference_below_the_minimum_is_ignored() -> None:
    bars = frame([110, 100, 106, 98, 101])
    assert divergences(bars, oscillators(bars, rsi=(25.0, 26.0))) == {}
    assert set(divergences(bars, oscillators(bars, rsi=(25.0, 26.0)), min_rsi_delta=0.5)) == {
        "regular_bullish_divergence_rsi"
    }


def test_larger_divergence_has_higher_confidence() -> None:
    bars = frame([110, 100, 106, 98, 101])
    small = divergences(bars, oscillators(bars, rsi=(25.0, 28.0)))
    large = divergences(bars, oscillators(bars, rsi=(25.0, 40.0)))
    name = "regular_bullish_divergence_rsi"
    assert small[name].confidence < large[name].confidence


def test_divergence_whose_later_swing_is_older_than_max_age_is_not_reported() -> None:
    bars = frame([110, 100, 106, 98, 101, 103, 104])  # second low now 18 bars before the end
    ind = oscillators(bars, rsi=(25.0, 35.0))
    assert divergences(bars, ind) == {}
    assert "regular_bullish_divergence_rsi" in divergences(bars, ind, max_age_bars=20)


def test_swings_closer_than_min_gap_are_not_compared() -> None:
    bars = frame([110, 100, 106, 98, 101])
    assert divergences(bars, oscillators(bars, rsi=(25.0, 35.0)), min_gap=13) == {}


def test_only_the_requested_oscillators_are_read() -> None:
    bars = frame([110, 100, 106, 98, 101])
    ind = oscillators(bars, rsi=(25.0, 35.0)).drop(columns=["macd_hist"])
    assert set(divergences(bars, ind, oscillators=("rsi",))) == {"regular_bullish_divergence_rsi"}


def test_missing_oscillator_column_is_refused_naming_ind() -> None:
    bars = frame([110, 100, 106, 98, 101])
    ind = oscillators(bars).drop(columns=["macd_hist"])
    with pytest.raises(ValidationFailed, match="ind: missing column 'macd_hist'"):
        find_divergences(SYMBOL, Timeframe.D1, bars, ind)


def test_oscillator_still_warming_up_at_the_first_swing_gives_no_divergence() -> None:
    bars = frame([110, 100, 106, 98, 101])
    ind = oscillators(bars, rsi=(25.0, 35.0))
    ind.loc[ind.index[: FIRST + 1], "rsi"] = np.nan
    assert divergences(bars, ind) == {}


def test_fast_selloff_then_slow_lower_low_shows_regular_bullish_divergence_on_talib_rsi() -> None:
    # Lows at waypoints 1 (bar 10) and 3 (bar 30): a steep drop, then a slow grind lower.
    close = np.r_[
        np.linspace(120, 100, 11),
        np.linspace(100, 106, 11)[1:],
        np.linspace(106, 99, 11)[1:],
        np.linspace(99, 102, 6)[1:],
    ]
    o = np.r_[close[0], close[:-1]]
    index = pd.date_range("2024-02-01", periods=close.shape[0], freq="1d", tz="UTC")
    bars = pd.DataFrame(
        {
            "open": o,
            "high": np.maximum(o, close) + 0.3,
            "low": np.minimum(o, close) - 0.3,
            "close": close,
            "volume": 10.0,
        },
        index=index,
    )
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    ind = pd.DataFrame({"atr": talib.ATR(h, low, c, 5), "rsi": talib.RSI(c, 5)}, index=bars.index)
    found = divergences(bars, ind, oscillators=("rsi",))
    assert set(found) == {"regular_bullish_divergence_rsi"}
    hit = found["regular_bullish_divergence_rsi"]
    assert hit.bars == (bars.index[10], bars.index[30])
    assert hit.details["oscillator_second"] > hit.details["oscillator_first"]
