"""The real-data cross-check pieces: in-package data sets, backtesting.py side, matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from tests.unit.backtest.report.report_kit import day, trade

from quorum.backtest.refcheck import (
    ReferenceTrade,
    compare_trades,
    reference_ema_cross,
    stop_below,
)
from quorum.backtest.refdata import ReferenceSource, reference_frame, write_reference_csv
from quorum.domain import Timeframe
from quorum.errors import ValidationFailed
from quorum.market import FileSource, check_bars

DAY = timedelta(days=1)


def _theirs(entry: float, exit_: float, pnl: float, **extra: object) -> ReferenceTrade:
    fields: dict[str, object] = {
        "entry_time": day(entry),
        "exit_time": day(exit_),
        "entry_price": 100.0,
        "exit_price": 100.0 + pnl,
        "size": 2.0,
        "pnl": pnl * 2,
        "commission": 0.0,
        "exit_reason": "signal",
    }
    fields.update(extra)
    return ReferenceTrade(**fields)  # type: ignore[arg-type]


def test_reference_source_serves_apple_daily_bars_that_pass_the_quality_gates() -> None:
    raw = ReferenceSource().fetch_raw(
        "AAPL/USD", Timeframe.D1, datetime(2000, 1, 1, tzinfo=UTC), datetime(2001, 1, 1, tzinfo=UTC)
    )
    assert raw.index[0] == pd.Timestamp("2000-03-01", tz="UTC")
    assert raw.index[-1] < pd.Timestamp("2001-01-01", tz="UTC")
    assert raw["close"].iloc[0] == 130.31
    frame, report = check_bars(raw, "AAPL/USD", Timeframe.D1, datetime(2001, 1, 1, tzinfo=UTC))
    assert len(frame.df) == len(raw)
    assert report.gaps


def test_reference_source_serves_eurusd_hourly_as_utc() -> None:
    source = ReferenceSource()
    last = source.last_open("EUR/USD", Timeframe.H1)
    assert last == datetime(2018, 2, 7, 15, tzinfo=UTC)
    raw = source.fetch_raw("EUR/USD", Timeframe.H1, last - timedelta(hours=1), last)
    assert list(raw.index) == [pd.Timestamp("2018-02-07 14:00", tz="UTC")]


def test_reference_source_refuses_unknown_symbols_and_other_timeframes() -> None:
    with pytest.raises(ValidationFailed, match="symbol"):
        ReferenceSource().last_open("TSLA/USD", Timeframe.D1)
    with pytest.raises(ValidationFailed, match="timeframe"):
        ReferenceSource().last_open("AAPL/USD", Timeframe.H1)


def test_reference_frame_has_backtesting_columns() -> None:
    frame = reference_frame("IBM/USD")
    assert list(frame.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert str(frame.index.tz) == "UTC"
    assert len(frame) == 3270


def test_stop_is_rounded_to_seven_significant_digits() -> None:
    assert stop_below(144.19, Decimal("0.05")) == Decimal("136.9805")
    # 1.07219 × 0.95 = 1.0185805 → half-even on the 1e-6 tick
    assert stop_below(1.07219, Decimal("0.05")) == Decimal("1.018580")


def test_backtesting_side_trades_at_next_open_and_stops_intrabar() -> None:
    run = reference_ema_cross(reference_frame("AAPL/USD"), 10, 30, Decimal("0.05"), fee=0.001)
    frame = reference_frame("AAPL/USD")
    first = run.trades[0]
    entry_bar = frame.index.get_loc(pd.Timestamp(first.entry_time))
    assert first.entry_price == frame["Open"].iloc[entry_bar]
    stops = [t for t in run.trades if t.exit_reason == "stop"]
    assert stops
    assert all(t.exit_price < t.entry_price for t in stops)
    c = frame["Close"]
    assert run.buy_and_hold_return == pytest.approx(c.iloc[-1] / c.iloc[0] - 1)


def test_identical_trade_lists_compare_identical() -> None:
    ours = [trade("4", entry=1, exit_=3, quantity=Decimal(1)), trade("-2", entry=5, exit_=6)]
    theirs = [_theirs(1, 3, 4.0), _theirs(5, 6, -2.0)]
    result = compare_trades(ours, theirs, DAY)
    assert result.identical
    assert result.exits_equal == 2
    assert result.max_difference == 0


def test_pnl_difference_within_fees_and_slippage_is_accepted() -> None:
    ours = [trade("3.7", entry=1, exit_=3, fees=Decimal("0.2"), slippage=Decimal("0.1"))]
    result = compare_trades(ours, [_theirs(1, 3, 4.0)], DAY)
    assert result.identical
    assert result.max_difference == pytest.approx(0.3)


def test_pnl_difference_beyond_the_frictions_is_flagged() -> None:
    ours = [trade("3.0", entry=1, exit_=3, fees=Decimal("0.2"), slippage=Decimal("0.1"))]
    result = compare_trades(ours, [_theirs(1, 3, 4.0)], DAY)
    assert not result.identical
    assert not result.matches[0].within


def test_unmatched_entries_and_different_exits_are_reported() -> None:
    ours = [trade("1", entry=1, exit_=3), trade("1", entry=7, exit_=8)]
    theirs = [_theirs(1, 4, 1.0), _theirs(9, 10, 1.0)]
    result = compare_trades(ours, theirs, DAY)
    assert result.only_ours == (day(7),)
    assert result.only_theirs == (day(9),)
    assert result.exits_equal == 0
    assert not result.identical


def test_end_of_run_exit_is_stamped_one_bar_later_on_our_side() -> None:
    ours = [trade("1", entry=1, exit_=10)]
    theirs = [_theirs(1, 9, 1.0, exit_reason="end")]
    assert compare_trades(ours, theirs, DAY).identical
    assert not compare_trades(ours, [_theirs(1, 9, 1.0)], DAY).identical


def test_backtesting_side_closes_a_trade_open_at_the_end_at_the_last_close() -> None:
    frame = reference_frame("AAPL/USD")
    frame = frame[frame.index < pd.Timestamp("2004-03-01", tz="UTC")]
    run = reference_ema_cross(frame, 10, 30, Decimal("0.05"), target=Decimal("0.15"), fee=0.001)
    last = run.trades[-1]
    assert last.exit_reason == "end"
    assert last.exit_price == frame["Close"].iloc[-1] == 23.92
    gross = last.size * (last.exit_price - last.entry_price)
    assert last.pnl == pytest.approx(gross - 0.001 * last.size * (last.entry_price + 23.92))


def test_reference_csv_reads_back_through_the_file_source(tmp_path: Path) -> None:
    path = write_reference_csv("MSFT/USD", tmp_path / "msft.csv")
    source = FileSource(path, timeframe=Timeframe.D1, symbol="MSFT/USD")
    since, until = datetime(2000, 1, 1, tzinfo=UTC), datetime(2014, 1, 1, tzinfo=UTC)
    raw = source.fetch_raw("MSFT/USD", Timeframe.D1, since, until)
    expected = ReferenceSource().fetch_raw("MSFT/USD", Timeframe.D1, since, until)
    assert list(raw.index) == list(expected.index)
    assert raw["close"].tolist() == expected["close"].tolist()
