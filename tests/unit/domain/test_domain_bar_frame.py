"""BarFrame and first_bar_violation: valid frames pass, each broken rule names row and rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from quorum.domain import Bar, BarFrame, Timeframe, first_bar_violation
from quorum.errors import DataQualityError
from quorum.testing import T0, make_bars_df, make_bars_frame

type Corruption = Callable[[pd.DataFrame], pd.DataFrame]


def _frame() -> pd.DataFrame:
    return make_bars_df(6, T0, Timeframe.H1, seed=7)


def _row(i: int) -> str:
    return f"row {i} ({(T0 + timedelta(hours=i)).isoformat()})"


def _set(row: int, column: str, value: float) -> Corruption:
    def corrupt(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[df.index[row], column] = value
        return df

    return corrupt


def _duplicate_stamp(df: pd.DataFrame) -> pd.DataFrame:
    stamps = list(df.index)
    stamps[3] = stamps[2]
    df.index = pd.DatetimeIndex(stamps, name="ts")
    return df


def _swap_rows(df: pd.DataFrame) -> pd.DataFrame:
    order = [0, 1, 3, 2, 4, 5]
    return df.iloc[order]


def _off_grid(df: pd.DataFrame) -> pd.DataFrame:
    stamps = list(df.index)
    stamps[4] = stamps[4] + pd.Timedelta(minutes=30)
    df.index = pd.DatetimeIndex(stamps, name="ts")
    return df


def _low_above_body(df: pd.DataFrame) -> pd.DataFrame:
    body_low = min(df.iloc[2]["open"], df.iloc[2]["close"])
    df.loc[df.index[2], "low"] = body_low * 1.0001
    return df


def _high_below_body(df: pd.DataFrame) -> pd.DataFrame:
    body_high = max(df.iloc[1]["open"], df.iloc[1]["close"])
    df.loc[df.index[1], "high"] = body_high * 0.9999
    return df


ROW_CASES = [
    pytest.param(_set(2, "close", np.nan), _row(2), "close is NaN or infinite", id="nan"),
    pytest.param(_set(4, "high", np.inf), _row(4), "high is NaN or infinite", id="inf"),
    pytest.param(_set(1, "low", -np.inf), _row(1), "low is NaN or infinite", id="minus-inf"),
    pytest.param(_set(5, "volume", np.nan), _row(5), "volume is NaN or infinite", id="nan-vol"),
    pytest.param(
        _duplicate_stamp, _row(2).replace("row 2", "row 3"), "duplicate timestamp", id="dup"
    ),
    pytest.param(
        _swap_rows, f"row 3 ({(T0 + timedelta(hours=2)).isoformat()})", "out of order", id="order"
    ),
    pytest.param(
        _off_grid,
        f"row 4 ({(T0 + timedelta(hours=4, minutes=30)).isoformat()})",
        "timestamp not on the 1h grid",
        id="off-grid",
    ),
    pytest.param(_set(3, "open", 0.0), _row(3), "prices must be > 0", id="zero-open"),
    pytest.param(_set(0, "low", -1.0), _row(0), "prices must be > 0", id="negative-low"),
    pytest.param(_set(2, "volume", -0.5), _row(2), "volume must be >= 0", id="negative-volume"),
    pytest.param(_low_above_body, _row(2), "low must be <= open and close", id="low-above"),
    pytest.param(_high_below_body, _row(1), "high must be >= open and close", id="high-below"),
]


@pytest.mark.parametrize(("corrupt", "row", "rule"), ROW_CASES)
def test_bar_frame_rejects_bad_row_naming_index_timestamp_and_rule(
    corrupt: Corruption, row: str, rule: str
) -> None:
    df = corrupt(_frame())
    with pytest.raises(DataQualityError) as info:
        BarFrame("BTC/USDT", Timeframe.H1, df)
    message = str(info.value)
    assert message.startswith(f"BTC/USDT 1h {row}: "), message
    assert rule in message
    where, what = first_bar_violation(df, Timeframe.H1) or ("", "")
    assert f"row {where}" == row
    assert rule in what


def _to_zone(zone: str) -> Corruption:
    return lambda df: df.tz_convert(zone)


HEADER_CASES = [
    pytest.param(
        _to_zone("Europe/Berlin"), "index", "timestamps must be UTC (got Europe/Berlin)", id="tz"
    ),
    pytest.param(
        lambda df: df.tz_convert(timezone(timedelta(hours=2))),
        "index",
        "timestamps must be UTC",
        id="fixed-offset",
    ),
    pytest.param(
        lambda df: df.tz_localize(None),
        "index",
        "must be a timezone-aware DatetimeIndex",
        id="naive-index",
    ),
    pytest.param(
        lambda df: df.reset_index(drop=True),
        "index",
        "must be a timezone-aware DatetimeIndex",
        id="range-index",
    ),
    pytest.param(
        lambda df: df.drop(columns=["volume"]),
        "header",
        "missing columns ['volume']; expected ['open', 'high', 'low', 'close', 'volume']",
        id="missing-volume",
    ),
    pytest.param(
        lambda df: df.rename(columns={"open": "Open", "close": "Close"}),
        "header",
        "missing columns ['open', 'close']",
        id="capitalised-columns",
    ),
    pytest.param(
        lambda df: df.astype({"open": object}).assign(open=["1.5", "x", 1, 1, 1, 1]),
        "header",
        "column open must be numeric",
        id="non-numeric",
    ),
]


@pytest.mark.parametrize(("corrupt", "where", "rule"), HEADER_CASES)
def test_bar_frame_rejects_bad_shape_naming_index_or_header(
    corrupt: Corruption, where: str, rule: str
) -> None:
    df = corrupt(_frame())
    with pytest.raises(DataQualityError, match=re.escape(f"row {where}: {rule}")):
        BarFrame("BTC/USDT", Timeframe.H1, df)


def test_first_bar_violation_reports_the_earliest_row_breaking_a_rule() -> None:
    df = _set(4, "volume", -2.0)(_set(2, "volume", -1.0)(_frame()))
    assert first_bar_violation(df, Timeframe.H1) == (_row(2)[4:], "volume must be >= 0")


def test_first_bar_violation_checks_rules_in_documented_order() -> None:
    df = _set(4, "open", 0.0)(_set(2, "volume", -1.0)(_frame()))
    assert first_bar_violation(df, Timeframe.H1) == (_row(4)[4:], "prices must be > 0")


def test_first_bar_violation_is_none_for_valid_frame() -> None:
    assert first_bar_violation(_frame(), Timeframe.H1) is None


def test_bar_frame_accepts_valid_frame_as_float64_indexed_by_ts() -> None:
    df = _frame().astype({"volume": "int64"}).assign(trades=1)
    frame = BarFrame("ETH/USDT:USDT", Timeframe.H1, df)
    assert len(frame) == 6
    assert list(frame.df.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in frame.df.dtypes)
    assert frame.df.index.name == "ts"
    assert isinstance(frame.df.index, pd.DatetimeIndex)
    assert str(frame.df.index.tz) == "UTC"
    assert frame.symbol == "ETH/USDT:USDT"
    assert frame.timeframe is Timeframe.H1
    assert "6 bars" in repr(frame)


def test_bar_frame_accepts_empty_frame() -> None:
    frame = make_bars_frame(0)
    assert len(frame) == 0
    assert frame.bars() == []
    assert "empty" in repr(frame)


def test_bar_frame_accepts_pre_1970_daily_bars() -> None:
    start = pd.Timestamp("1969-12-29", tz="UTC").to_pydatetime()
    frame = make_bars_frame(5, start, Timeframe.D1, seed=3)
    assert frame.df.index[0] == pd.Timestamp("1969-12-29", tz="UTC")


def test_bar_frame_rejects_daily_bars_not_at_midnight_utc() -> None:
    df = make_bars_df(3, T0, Timeframe.H1, seed=1)
    with pytest.raises(DataQualityError, match=r"row 1 \(.*\): timestamp not on the 1d grid"):
        BarFrame("BTC/USDT", Timeframe.D1, df)


def test_bar_frame_rejects_non_unified_symbol() -> None:
    with pytest.raises(ValueError, match="ccxt unified symbol"):
        BarFrame("BTCUSDT", Timeframe.H1, _frame())


def test_closed_at_keeps_bar_closing_exactly_at_as_of_and_drops_the_next() -> None:
    frame = BarFrame("BTC/USDT", Timeframe.H1, _frame())
    as_of = T0 + timedelta(hours=3)
    closed = frame.closed_at(as_of)
    assert list(closed.df.index) == [pd.Timestamp(T0 + timedelta(hours=h)) for h in range(3)]
    assert closed.df.index[-1] + pd.Timedelta(hours=1) == pd.Timestamp(as_of)


def test_closed_at_one_microsecond_before_close_drops_that_bar() -> None:
    frame = BarFrame("BTC/USDT", Timeframe.H1, _frame())
    closed = frame.closed_at(T0 + timedelta(hours=3) - timedelta(microseconds=1))
    assert len(closed) == 2


def test_closed_at_before_first_close_is_empty_and_after_last_is_everything() -> None:
    frame = BarFrame("BTC/USDT", Timeframe.H1, _frame())
    assert len(frame.closed_at(T0 + timedelta(minutes=59))) == 0
    assert len(frame.closed_at(T0 + timedelta(days=1))) == 6


def test_closed_at_accepts_as_of_in_another_zone() -> None:
    frame = BarFrame("BTC/USDT", Timeframe.H1, _frame())
    as_of = (T0 + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-3)))
    assert len(frame.closed_at(as_of)) == 2


def test_bars_converts_rows_to_bar_values_with_decimal_prices() -> None:
    df = _frame()
    frame = BarFrame("BTC/USDT", Timeframe.H1, df)
    bars = frame.bars()
    assert len(bars) == len(df)
    assert all(isinstance(bar, Bar) for bar in bars)
    first = bars[0]
    assert first.ts == T0
    assert first.symbol == "BTC/USDT"
    assert first.timeframe is Timeframe.H1
    assert first.open == Decimal(repr(float(df.iloc[0]["open"])))
    assert isinstance(first.close, Decimal)
    assert [float(bar.close) for bar in bars] == list(df["close"])
    assert bars[-1].close_time == T0 + timedelta(hours=6)
