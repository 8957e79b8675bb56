"""MarketDataLoader: the MarketData port with quality gates on every load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.errors import DataQualityError
from quorum.market import (
    FileSource,
    MarketDataLoader,
    QualityPolicy,
    QualityRejected,
    SyntheticParams,
    SyntheticSource,
)
from quorum.ports import MarketData

SYMBOL = "BTC/USDT"
START = datetime(2024, 5, 1, tzinfo=UTC)


class FutureSource:
    """A misbehaving source that answers with a bar an hour ahead of the caller's clock."""

    def __init__(self, clock: ReplayClock) -> None:
        self.clock = clock

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        ahead = timeframe.floor(self.clock.now()) + timedelta(hours=1)
        index = pd.DatetimeIndex([ahead], name="ts")
        return pd.DataFrame(
            {"open": [1.0], "high": [2.0], "low": [0.5], "close": [1.5], "volume": [1.0]},
            index=index,
        )


def _loader(clock: ReplayClock) -> MarketDataLoader:
    return MarketDataLoader(SyntheticSource(3, params=SyntheticParams(gap_probability=0.0)), clock)


def test_the_loader_implements_the_market_data_port() -> None:
    assert isinstance(_loader(ReplayClock(START)), MarketData)


def test_only_bars_closed_at_the_clock_are_returned() -> None:
    clock = ReplayClock(START + timedelta(days=1, minutes=40))
    loader = _loader(clock)
    frame = loader.fetch_bars(SYMBOL, Timeframe.H1, START, START + timedelta(days=2))
    assert len(frame) == 24
    assert frame.df.index[-1] + pd.Timedelta(hours=1) <= pd.Timestamp(clock.now())
    report = loader.last_report(SYMBOL, Timeframe.H1)
    assert report is not None
    assert report.unclosed_dropped == 1
    assert report.passed


def test_the_window_is_respected_and_a_historical_window_is_not_stale() -> None:
    loader = _loader(ReplayClock(START + timedelta(days=365)))
    since, until = START + timedelta(hours=3), START + timedelta(hours=9)
    frame = loader.fetch_bars(SYMBOL, Timeframe.M15, since, until)
    assert frame.df.index[0] == pd.Timestamp(since)
    assert frame.df.index[-1] == pd.Timestamp(until - timedelta(minutes=15))
    assert not loader.last_report(SYMBOL, Timeframe.M15).stale  # type: ignore[union-attr]


def test_a_window_entirely_in_the_future_is_empty_and_asks_nothing() -> None:
    loader = _loader(ReplayClock(START))
    frame = loader.fetch_bars(
        SYMBOL, Timeframe.H1, START + timedelta(days=1), START + timedelta(days=2)
    )
    assert len(frame) == 0


def test_a_rejected_load_raises_and_keeps_its_report() -> None:
    clock = ReplayClock(START)
    loader = MarketDataLoader(FutureSource(clock), clock, QualityPolicy(stale="report"))
    with pytest.raises(QualityRejected, match="clock_skew"):
        loader.fetch_bars(SYMBOL, Timeframe.H1, START - timedelta(days=1), START)
    report = loader.last_report(SYMBOL, Timeframe.H1)
    assert report is not None
    assert not report.passed
    assert report.problem("clock_skew") is not None
    assert loader.last_report(SYMBOL, Timeframe.D1) is None


def test_a_live_request_is_stale_when_the_source_stops_delivering() -> None:
    clock = ReplayClock(START + timedelta(days=3))
    source = SyntheticSource(3)
    loader = MarketDataLoader(source, clock)
    loader.fetch_bars(SYMBOL, Timeframe.H1, START, START + timedelta(days=3))

    class Frozen:
        def fetch_raw(
            self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
        ) -> pd.DataFrame:
            return source.fetch_raw(symbol, timeframe, since, START + timedelta(days=2))

    stale = MarketDataLoader(Frozen(), clock)
    with pytest.raises(QualityRejected, match="stale"):
        stale.fetch_bars(SYMBOL, Timeframe.H1, START, START + timedelta(days=3))


def test_latest_close_of_a_generator_is_the_last_close_at_the_clock() -> None:
    clock = ReplayClock(START + timedelta(hours=5, minutes=20))
    assert _loader(clock).latest_close(SYMBOL, Timeframe.H1) == START + timedelta(hours=5)


def test_latest_close_of_a_file_is_its_last_bar_close(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-05-01T02:00:00Z,1,2,0.5,1.5,10\n"
        "2024-05-01T01:00:00Z,1,2,0.5,1.5,10\n"
    )
    loader = MarketDataLoader(FileSource(path), ReplayClock(START + timedelta(days=30)))
    assert loader.latest_close(SYMBOL, Timeframe.H1) == START + timedelta(hours=3)
    empty = tmp_path / "empty.csv"
    empty.write_text("timestamp,open,high,low,close,volume\n")
    with pytest.raises(DataQualityError, match="no bar rows after the header"):
        MarketDataLoader(FileSource(empty), ReplayClock(START)).latest_close(SYMBOL, Timeframe.H1)
