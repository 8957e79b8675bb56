"""Invariants of detect_regime on random OHLCV walks (indicators built with talib).

* strength and volatility percentile in [0, 1], trend score in [-1, 1], kind agreeing
  with the sign of the trend score;
* no look-ahead: the regime at ``as_of`` from the full history cut at ``as_of`` equals
  the regime from history that ends at ``as_of`` with indicators recomputed on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.analysis.regime import RegimeParams, detect_regime
from quorum.domain.analysis import RegimeKind
from quorum.domain.timeframe import Timeframe

SYMBOL = "ETH/USDT"
TF = Timeframe.H4


def random_walk(seed: int, n: int, sigma: float, drift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(drift, sigma, n)))
    open_ = np.r_[close[0], close[:-1]]
    wicks = np.abs(rng.normal(0.0, sigma / 2, (2, n)))
    index = pd.date_range("2023-06-01", periods=n, freq=TF.pandas_freq, tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * (1 + wicks[0]),
            "low": np.minimum(open_, close) * (1 - wicks[1]),
            "close": close,
            "volume": 1.0,
        },
        index=index,
    )


def indicators(bars: pd.DataFrame) -> pd.DataFrame:
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    return pd.DataFrame(
        {
            "ema_fast": talib.EMA(c, 12),
            "ema_slow": talib.EMA(c, 26),
            "atr": talib.ATR(h, low, c, 14),
            "adx": talib.ADX(h, low, c, 14),
        },
        index=bars.index,
    )


walks = st.builds(
    random_walk,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    sigma=st.sampled_from([0.002, 0.01, 0.04]),
    drift=st.sampled_from([-0.01, -0.002, 0.0, 0.002, 0.01]),
)
params = st.builds(
    RegimeParams,
    slope_bars=st.integers(1, 30),
    adx_threshold=st.floats(0.0, 60.0),
    min_trend_score=st.floats(0.01, 0.9),
    vol_lookback=st.integers(2, 300),
)


def closed_at(bars: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """The bars whose close (open + timeframe) is at or before ``as_of``."""
    closes = pd.DatetimeIndex(bars.index) + TF.delta
    return bars.iloc[: int(np.count_nonzero(closes <= pd.Timestamp(as_of)))]


@settings(max_examples=60, deadline=None)
@given(bars=walks, p=params)
def test_regime_values_are_bounded_and_kind_agrees_with_trend_sign(
    bars: pd.DataFrame, p: RegimeParams
) -> None:
    as_of = pd.Timestamp(bars.index[-1]).to_pydatetime() + TF.delta
    r = detect_regime(SYMBOL, TF, bars, indicators(bars), as_of, p)
    assert 0.0 <= r.strength <= 1.0
    assert 0.0 <= r.volatility_percentile <= 1.0
    assert -1.0 <= r.trend_score <= 1.0
    if r.kind is RegimeKind.BULL:
        assert r.trend_score >= p.min_trend_score
    if r.kind is RegimeKind.BEAR:
        assert r.trend_score <= -p.min_trend_score


@settings(max_examples=60, deadline=None)
@given(bars=walks, p=params, data=st.data())
def test_regime_at_as_of_from_full_history_equals_regime_from_history_ending_at_as_of(
    bars: pd.DataFrame, p: RegimeParams, data: st.DataObject
) -> None:
    k = data.draw(st.integers(1, len(bars)), label="k")
    minutes = data.draw(st.integers(0, TF.seconds // 60 - 1), label="minutes into next bar")
    as_of = pd.Timestamp(bars.index[k - 1]).to_pydatetime() + TF.delta + timedelta(minutes=minutes)
    full_ind = indicators(bars)
    cut = closed_at(bars, as_of)
    assert len(cut) == k
    from_full = detect_regime(SYMBOL, TF, cut, full_ind.loc[cut.index], as_of, p)
    from_history = detect_regime(SYMBOL, TF, cut, indicators(cut), as_of, p)
    assert from_full == from_history
