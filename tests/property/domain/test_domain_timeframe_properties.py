"""Grid arithmetic properties of every timeframe, from 1900 to 2100."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.strategies import timeframes

from quorum.domain import Timeframe

any_time = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
EXAMPLES = settings(max_examples=100, deadline=None)


@EXAMPLES
@given(timeframe=timeframes, when=any_time)
def test_floor_is_on_grid_at_or_before_and_within_one_bar(
    timeframe: Timeframe, when: datetime
) -> None:
    opened = timeframe.floor(when)
    assert opened <= when < opened + timeframe.delta
    assert timeframe.is_on_grid(opened)
    assert timeframe.floor(opened) == opened
    assert int((opened - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) % timeframe.seconds == 0


@EXAMPLES
@given(timeframe=timeframes, as_of=any_time)
def test_last_closed_open_is_the_latest_closed_bar(timeframe: Timeframe, as_of: datetime) -> None:
    last = timeframe.last_closed_open(as_of)
    assert timeframe.is_on_grid(last)
    assert timeframe.is_closed(last, as_of)
    assert not timeframe.is_closed(last + timeframe.delta, as_of)


@EXAMPLES
@given(timeframe=timeframes, open_time=any_time, lag=st.integers(-(10**7), 10**7))
def test_is_closed_iff_close_time_not_after_as_of(
    timeframe: Timeframe, open_time: datetime, lag: int
) -> None:
    as_of = timeframe.close_of(open_time) + timedelta(microseconds=lag)
    assert timeframe.is_closed(open_time, as_of) is (lag >= 0)


@EXAMPLES
@given(timeframe=timeframes, when=any_time)
def test_d1_grid_is_midnight_utc_and_coarser_grids_contain_finer_ones(
    timeframe: Timeframe, when: datetime
) -> None:
    day_open = Timeframe.D1.floor(when)
    assert (day_open.hour, day_open.minute, day_open.second, day_open.microsecond) == (0, 0, 0, 0)
    assert timeframe.is_on_grid(day_open)
