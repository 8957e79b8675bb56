"""Timeframe alignment: exchange-standard UTC boundaries, OHLCV aggregation, closed bars only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from quorum.domain import BarFrame, Timeframe
from quorum.errors import ValidationFailed
from quorum.market import align_timeframes, resample, resample_with_report

SYMBOL = "BTC/USDT"
DAY = datetime(2024, 1, 1, tzinfo=UTC)
FAR = datetime(2030, 1, 1, tzinfo=UTC)
MakeBars = Callable[..., pd.DataFrame]


def _frame(make_bars: MakeBars, n: int, tf: Timeframe, start: datetime) -> BarFrame:
    return BarFrame(SYMBOL, tf, make_bars(n, tf, start))


def test_4h_bars_open_at_00_04_08_utc_even_when_data_starts_mid_bucket(
    make_bars: MakeBars,
) -> None:
    base = _frame(make_bars, 4 * 30, Timeframe.M15, DAY + timedelta(hours=1))
    out, report = resample_with_report(base, Timeframe.H4, FAR)
    assert [ts.hour for ts in out.df.index[:7]] == [0, 4, 8, 12, 16, 20, 0]
    assert out.df.index[0] == pd.Timestamp(DAY)
    # The first bucket holds 12 of its 16 quarter-hours and is reported, not hidden.
    assert next((b.ts, b.present, b.expected) for b in report.incomplete) == (DAY, 12, 16)


def test_daily_bars_open_at_midnight_utc(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 40, Timeframe.H1, DAY + timedelta(hours=20))
    out = resample(base, Timeframe.D1, FAR)
    assert list(out.df.index) == [
        pd.Timestamp(DAY),
        pd.Timestamp(DAY + timedelta(days=1)),
        pd.Timestamp(DAY + timedelta(days=2)),
    ]


def test_ohlcv_is_first_max_min_last_sum(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 8, Timeframe.H1, DAY)
    out = resample(base, Timeframe.H4, FAR)
    first = out.df.iloc[0]
    src = base.df.iloc[:4]
    assert first["open"] == src["open"].iloc[0]
    assert first["high"] == src["high"].max()
    assert first["low"] == src["low"].min()
    assert first["close"] == src["close"].iloc[-1]
    assert first["volume"] == src["volume"].sum()
    assert len(out) == 2


def test_a_higher_bar_is_visible_exactly_when_it_has_closed(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 8, Timeframe.H1, DAY)
    at_close = resample(base, Timeframe.H4, DAY + timedelta(hours=4))
    just_before = resample(base, Timeframe.H4, DAY + timedelta(hours=4) - timedelta(microseconds=1))
    assert list(at_close.df.index) == [pd.Timestamp(DAY)]
    assert len(just_before) == 0


def test_base_bars_after_as_of_never_reach_a_higher_bar(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 48, Timeframe.H1, DAY)
    as_of = DAY + timedelta(hours=30, minutes=20)
    out = resample(base, Timeframe.D1, as_of)
    assert list(out.df.index) == [pd.Timestamp(DAY)]
    assert out.df["close"].iloc[0] == base.df["close"].iloc[23]


def test_resample_to_the_same_timeframe_keeps_only_closed_bars(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 10, Timeframe.H1, DAY)
    out = resample(base, Timeframe.H1, DAY + timedelta(hours=5, minutes=30))
    assert len(out) == 5


def test_a_lower_target_timeframe_is_refused(make_bars: MakeBars) -> None:
    base = _frame(make_bars, 10, Timeframe.H1, DAY)
    with pytest.raises(ValidationFailed, match="cannot build 15m bars from 1h bars"):
        resample(base, Timeframe.M15, FAR)


def test_align_timeframes_returns_each_requested_timeframe_including_the_base(
    make_bars: MakeBars,
) -> None:
    base = _frame(make_bars, 96 * 3, Timeframe.M15, DAY)
    as_of = DAY + timedelta(days=2, hours=5)
    aligned = align_timeframes(
        base, [Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1], as_of
    )
    assert set(aligned) == {Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1}
    assert len(aligned[Timeframe.M15]) == 96 * 2 + 20
    assert len(aligned[Timeframe.H1]) == 48 + 5
    assert len(aligned[Timeframe.H4]) == 12 + 1
    assert len(aligned[Timeframe.D1]) == 2
    assert all(f.timeframe is tf for tf, f in aligned.items())
