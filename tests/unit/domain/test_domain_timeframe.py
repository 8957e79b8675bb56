"""Timeframe: grid arithmetic in UTC (including before 1970) and parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest

from quorum.domain import Timeframe
from quorum.errors import ValidationFailed

ALLOWED = "1m, 5m, 15m, 1h, 4h, 1d"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timeframe", "seconds"),
    [
        (Timeframe.M1, 60),
        (Timeframe.M5, 300),
        (Timeframe.M15, 900),
        (Timeframe.H1, 3600),
        (Timeframe.H4, 14400),
        (Timeframe.D1, 86400),
    ],
)
def test_timeframe_length_and_pandas_alias_agree(timeframe: Timeframe, seconds: int) -> None:
    assert timeframe.seconds == seconds
    assert timeframe.delta == timedelta(seconds=seconds)
    grid = pd.date_range("2024-01-01", periods=3, freq=timeframe.pandas_freq, tz="UTC")
    assert all(step == timeframe.delta for step in grid.to_series().diff().iloc[1:])


@pytest.mark.parametrize("text", ["1m", "5m", "15m", "1h", "4h", "1d", " 4h ", "1h\n"])
def test_parse_accepts_every_timeframe_ignoring_whitespace(text: str) -> None:
    assert Timeframe.parse(text).value == text.strip()


@pytest.mark.parametrize("text", ["2h", "1H", "60m", "1w", "", "1 h"])
def test_parse_rejects_unknown_timeframe_naming_allowed_values(text: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        Timeframe.parse(text)
    assert info.value.field == "timeframe"
    assert info.value.value == text
    assert str(info.value).startswith(f"timeframe: must be one of {ALLOWED}")


@pytest.mark.parametrize(
    ("timeframe", "when", "expected"),
    [
        (Timeframe.M1, utc(2024, 3, 10, 13, 47, 12, 500), utc(2024, 3, 10, 13, 47)),
        (Timeframe.M5, utc(2024, 3, 10, 13, 47, 12), utc(2024, 3, 10, 13, 45)),
        (Timeframe.M15, utc(2024, 3, 10, 13, 47, 12), utc(2024, 3, 10, 13, 45)),
        (Timeframe.H1, utc(2024, 3, 10, 13, 47, 12), utc(2024, 3, 10, 13)),
        (Timeframe.H4, utc(2024, 3, 10, 13, 47, 12), utc(2024, 3, 10, 12)),
        (Timeframe.H4, utc(2024, 3, 10, 3, 59, 59), utc(2024, 3, 10, 0)),
        (Timeframe.D1, utc(2024, 3, 10, 23, 59, 59, 999999), utc(2024, 3, 10)),
        (Timeframe.D1, utc(2024, 3, 10), utc(2024, 3, 10)),
        (Timeframe.D1, utc(1969, 12, 31, 13), utc(1969, 12, 31)),
        (Timeframe.H4, utc(1969, 12, 31, 23, 59, 59), utc(1969, 12, 31, 20)),
        (Timeframe.M15, utc(1950, 6, 1, 0, 14, 59), utc(1950, 6, 1, 0, 0)),
    ],
)
def test_floor_returns_open_of_the_containing_bar(
    timeframe: Timeframe, when: datetime, expected: datetime
) -> None:
    assert timeframe.floor(when) == expected


def test_floor_of_non_utc_time_uses_the_utc_grid() -> None:
    new_york = timezone(timedelta(hours=-5))
    when = datetime(2024, 3, 9, 21, 30, tzinfo=new_york)  # 2024-03-10 02:30 UTC
    assert Timeframe.D1.floor(when) == utc(2024, 3, 10)
    assert Timeframe.H4.floor(when) == utc(2024, 3, 10, 0)


@pytest.mark.parametrize(
    ("timeframe", "when", "on_grid"),
    [
        (Timeframe.H1, utc(2024, 1, 1, 5), True),
        (Timeframe.H1, utc(2024, 1, 1, 5, 0, 0, 1), False),
        (Timeframe.H4, utc(2024, 1, 1, 5), False),
        (Timeframe.H4, utc(2024, 1, 1, 8), True),
        (Timeframe.D1, utc(2024, 1, 1), True),
        (Timeframe.D1, utc(2024, 1, 1, 1), False),
        (Timeframe.D1, utc(1969, 7, 20), True),
        (Timeframe.M15, utc(1969, 7, 20, 20, 17), False),
        (Timeframe.D1, datetime(2024, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))), True),
    ],
)
def test_is_on_grid(timeframe: Timeframe, when: datetime, on_grid: bool) -> None:
    assert timeframe.is_on_grid(when) is on_grid


def test_bar_is_closed_exactly_at_its_close_time_and_not_before() -> None:
    open_time = utc(2024, 1, 1, 4)
    close = open_time + timedelta(hours=4)
    assert Timeframe.H4.close_of(open_time) == close
    assert Timeframe.H4.is_closed(open_time, close)
    assert Timeframe.H4.is_closed(open_time, close + timedelta(days=1))
    assert not Timeframe.H4.is_closed(open_time, close - timedelta(microseconds=1))


@pytest.mark.parametrize(
    ("timeframe", "as_of", "expected"),
    [
        (Timeframe.H1, utc(2024, 1, 1, 5), utc(2024, 1, 1, 4)),
        (Timeframe.H1, utc(2024, 1, 1, 5, 59, 59), utc(2024, 1, 1, 4)),
        (Timeframe.M15, utc(2024, 1, 1, 5, 16), utc(2024, 1, 1, 5, 0)),
        (Timeframe.D1, utc(2024, 3, 10), utc(2024, 3, 9)),
        (Timeframe.D1, utc(2024, 3, 10, 23, 59), utc(2024, 3, 9)),
        (Timeframe.D1, utc(1970, 1, 1, 12), utc(1969, 12, 31)),
        (Timeframe.H4, utc(1969, 12, 31, 1), utc(1969, 12, 30, 20)),
    ],
)
def test_last_closed_open_is_latest_bar_closed_at_as_of(
    timeframe: Timeframe, as_of: datetime, expected: datetime
) -> None:
    last = timeframe.last_closed_open(as_of)
    assert last == expected
    assert timeframe.is_closed(last, as_of)
    assert not timeframe.is_closed(last + timeframe.delta, as_of)


def test_daily_bars_open_at_midnight_utc() -> None:
    as_of = utc(2024, 6, 15, 17, 30)
    assert Timeframe.D1.floor(as_of).time() == datetime.min.time()
    assert Timeframe.D1.last_closed_open(as_of) == utc(2024, 6, 14)
