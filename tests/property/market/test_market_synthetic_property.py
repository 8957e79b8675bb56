"""Synthetic bars depend only on (seed, symbol, open time): any split of a window agrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.domain import Timeframe
from quorum.market import SyntheticSource

ORIGIN = datetime(2023, 1, 1, tzinfo=UTC)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    timeframe=st.sampled_from([Timeframe.M15, Timeframe.H1, Timeframe.H4]),
    start_minutes=st.integers(0, 400 * 24 * 60),
    length_minutes=st.integers(1, 30 * 24 * 60),
    split=st.floats(0.0, 1.0),
)
def test_any_split_of_a_window_gives_the_same_bars(
    seed: int, timeframe: Timeframe, start_minutes: int, length_minutes: int, split: float
) -> None:
    since = ORIGIN + timedelta(minutes=start_minutes)
    until = since + timedelta(minutes=length_minutes)
    middle = since + timedelta(minutes=int(length_minutes * split))
    whole = SyntheticSource(seed).fetch_raw("SOL/USDT", timeframe, since, until)
    fresh = SyntheticSource(seed)
    head = fresh.fetch_raw("SOL/USDT", timeframe, since, middle)
    tail = SyntheticSource(seed).fetch_raw("SOL/USDT", timeframe, middle, until)
    pd.testing.assert_frame_equal(whole, pd.concat([head, tail]), check_freq=False)
    assert (whole.index >= since).all()
    assert (whole.index < until).all()
