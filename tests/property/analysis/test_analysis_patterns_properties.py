"""Invariants of the pattern detectors on random OHLCV walks (indicators built with talib).

* every confidence is in [0, 1] and every hit's bars are bars of the frame, none after
  its last bar;
* no look-ahead: detecting on ``bars[:k]`` with indicators recomputed on ``bars[:k]``
  equals detecting on the full frame's rows cut at ``k``;
* swing confirmation: a pivot is reported only once its ``right`` bars have closed,
  and levels / divergences are built from confirmed pivots only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.analysis.patterns import (
    BreakoutParams,
    CandleParams,
    DivergenceParams,
    LevelParams,
    PatternParams,
    SwingParams,
    detect_patterns,
    find_swings,
)
from quorum.domain.analysis import PatternFamily
from quorum.domain.timeframe import Timeframe

SYMBOL = "BTC/USDT"
TF = Timeframe.M15

PERMISSIVE = PatternParams(
    swings=SwingParams(left=2, right=2),
    levels=LevelParams(cluster_atr=1.0, max_distance_atr=100.0, max_per_side=20),
    breakouts=BreakoutParams(recent_bars=10, min_break_atr=0.0, min_volume_ratio=0.0),
    candles=CandleParams(recent_bars=20, min_range_atr=0.0, engulf_min_body_atr=0.0),
    divergence=DivergenceParams(
        max_age_bars=40, min_gap=2, min_price_atr=0.0, min_rsi_delta=0.0, min_osc_delta_atr=0.0
    ),
)
PARAMS = st.sampled_from([PatternParams(), PERMISSIVE])


def random_walk(seed: int, n: int, sigma: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, sigma, n)))
    open_ = np.r_[close[0], close[:-1]] * (1 + rng.normal(0.0, sigma / 10, n))
    wicks = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    index = pd.date_range("2024-01-01", periods=n, freq=TF.pandas_freq, tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + wicks[0]),
            "low": np.minimum(open_, close) * (1 - wicks[1]),
            "close": close,
            "volume": rng.lognormal(3.0, 0.8, n) * (rng.random(n) > 0.02),
        },
        index=index,
    )


def indicators(bars: pd.DataFrame) -> pd.DataFrame:
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    macd, signal, hist = talib.MACD(c, 12, 26, 9)
    return pd.DataFrame(
        {
            "ema_fast": talib.EMA(c, 12),
            "ema_slow": talib.EMA(c, 26),
            "rsi": talib.RSI(c, 14),
            "macd": macd,
            "macd_signal": signal,
            "macd_hist": hist,
            "atr": talib.ATR(h, low, c, 14),
            "adx": talib.ADX(h, low, c, 14),
            "plus_di": talib.PLUS_DI(h, low, c, 14),
            "minus_di": talib.MINUS_DI(h, low, c, 14),
        },
        index=bars.index,
    )


walks = st.builds(
    random_walk,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(30, 260),
    sigma=st.sampled_from([0.001, 0.005, 0.02]),
)


@settings(max_examples=40, deadline=None)
@given(bars=walks, params=PARAMS, data=st.data())
def test_hits_have_bounded_confidence_and_use_only_bars_up_to_the_cut(
    bars: pd.DataFrame, params: PatternParams, data: st.DataObject
) -> None:
    k = data.draw(st.integers(1, len(bars)), label="k")
    cut = bars.iloc[:k]
    hits = detect_patterns(SYMBOL, TF, cut, indicators(cut), params)
    known = set(pd.DatetimeIndex(cut.index).to_pydatetime())
    last = cut.index[-1]
    for hit in hits:
        assert 0.0 <= hit.confidence <= 1.0
        assert set(hit.bars) <= known
        assert hit.bars[-1] <= last
        assert all(np.isfinite(v) for v in hit.details.values())


@settings(max_examples=40, deadline=None)
@given(bars=walks, params=PARAMS, data=st.data())
def test_detect_on_the_truncated_frame_equals_detect_on_the_full_frame_cut_at_k(
    bars: pd.DataFrame, params: PatternParams, data: st.DataObject
) -> None:
    k = data.draw(st.integers(1, len(bars)), label="k")
    full_ind = indicators(bars)
    truncated = detect_patterns(SYMBOL, TF, bars.iloc[:k], indicators(bars.iloc[:k]), params)
    cut_from_full = detect_patterns(SYMBOL, TF, bars.iloc[:k], full_ind.iloc[:k], params)
    assert truncated == cut_from_full


@settings(max_examples=60, deadline=None)
@given(
    bars=walks,
    left=st.integers(1, 6),
    right=st.integers(1, 6),
    data=st.data(),
)
def test_swings_of_a_prefix_are_the_full_swings_already_confirmed_by_its_last_bar(
    bars: pd.DataFrame, left: int, right: int, data: st.DataObject
) -> None:
    params = SwingParams(left=left, right=right)
    k = data.draw(st.integers(1, len(bars)), label="k")
    full = find_swings(bars, params)
    prefix = find_swings(bars.iloc[:k], params)
    assert prefix.highs.tolist() == [p for p in full.highs.tolist() if p + right <= k - 1]
    assert prefix.lows.tolist() == [p for p in full.lows.tolist() if p + right <= k - 1]


@settings(max_examples=30, deadline=None)
@given(bars=walks, right=st.integers(1, 5))
def test_every_pivot_is_absent_until_its_confirmation_bar_closes(
    bars: pd.DataFrame, right: int
) -> None:
    params = SwingParams(left=3, right=right)
    full = find_swings(bars, params)
    for pivot in [*full.highs.tolist(), *full.lows.tolist()][:10]:
        before = find_swings(bars.iloc[: pivot + right], params)
        at = find_swings(bars.iloc[: pivot + right + 1], params)
        assert pivot not in before.highs.tolist() + before.lows.tolist()
        assert pivot in at.highs.tolist() + at.lows.tolist()


@settings(max_examples=40, deadline=None)
@given(bars=walks, params=PARAMS, data=st.data())
def test_levels_and_divergences_are_built_from_confirmed_pivots_only(
    bars: pd.DataFrame, params: PatternParams, data: st.DataObject
) -> None:
    k = data.draw(st.integers(1, len(bars)), label="k")
    cut = bars.iloc[:k]
    hits = detect_patterns(SYMBOL, TF, cut, indicators(cut), params)
    right = params.swings.right
    for hit in hits:
        if hit.family in (PatternFamily.SUPPORT_RESISTANCE, PatternFamily.DIVERGENCE):
            assert k - 1 - right >= 0
            assert hit.bars[-1] <= cut.index[k - 1 - right]
        if hit.family is PatternFamily.BREAKOUT and hit.name.startswith("level"):
            assert all(b <= cut.index[k - 1 - right] for b in hit.bars[:-1])
