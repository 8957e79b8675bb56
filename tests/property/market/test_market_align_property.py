"""No look-ahead: resampling at ``as_of`` never shows a bar closing after ``as_of``, and what
happens after ``as_of`` cannot change what is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.domain import BarFrame, Timeframe
from quorum.market import align_timeframes, resample

START = datetime(2024, 3, 1, 13, 45, tzinfo=UTC)
TARGETS = [Timeframe.H1, Timeframe.H4, Timeframe.D1]


def _random_bars(seed: int, n: int, drop_fraction: float) -> BarFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=n, freq="15min", tz="UTC", name="ts")
    keep = rng.random(n) >= drop_fraction
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[100.0, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.random(n) * 0.01)
    low = np.minimum(open_, close) * (1 - rng.random(n) * 0.01)
    volume = rng.gamma(2.0, 50.0, n)
    df = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )
    return BarFrame("ETH/USDT", Timeframe.M15, df.loc[keep])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 700),
    drop=st.sampled_from([0.0, 0.05, 0.3]),
    as_of_seconds=st.integers(0, 8 * 86_400),
)
def test_resample_has_no_look_ahead(seed: int, n: int, drop: float, as_of_seconds: int) -> None:
    frame = _random_bars(seed, n, drop)
    as_of = START + timedelta(seconds=as_of_seconds)
    # Everything known at as_of, including the base bar still open at as_of.
    known = BarFrame(frame.symbol, frame.timeframe, frame.df.loc[frame.df.index < as_of])
    full = align_timeframes(frame, TARGETS, as_of)
    for target in TARGETS:
        shown = full[target]
        closes = shown.df.index + pd.Timedelta(seconds=target.seconds)
        assert (closes <= pd.Timestamp(as_of)).all()
        pd.testing.assert_frame_equal(shown.df, resample(known, target, as_of).df)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(16, 700))
def test_higher_bars_match_an_independent_pandas_groupby(seed: int, n: int) -> None:
    frame = _random_bars(seed, n, 0.1)
    as_of = START + timedelta(days=30)
    df = frame.df
    for target in TARGETS:
        expected = df.groupby(df.index.floor(target.pandas_freq)).agg(
            open=("open", "first"),
            high=("high", "max"),
            low=("low", "min"),
            close=("close", "last"),
            volume=("volume", "sum"),
        )
        expected.index.name = "ts"
        got = resample(frame, target, as_of).df
        pd.testing.assert_frame_equal(got, expected, check_freq=False, rtol=1e-12)
