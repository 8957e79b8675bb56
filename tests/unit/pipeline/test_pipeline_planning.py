"""Which scans are due: finalization delay, bar closes, volatility-adaptive interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from quorum.config.settings.pipeline import PipelineSettings
from quorum.domain import Timeframe
from quorum.pipeline import check_interval, due_scans

T0 = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
SETTINGS = PipelineSettings(symbols=("BTC/USDT",), finalization_delay_s=5.0)


def _keys(due: list) -> list[tuple[str, str, datetime]]:  # type: ignore[type-arg]
    return [(d.symbol, d.timeframe.value, d.bar_close) for d in due]


def test_a_bar_is_not_due_before_the_finalization_delay_passed() -> None:
    due = due_scans(T0 + timedelta(seconds=4), SETTINGS, {})
    assert ("BTC/USDT", "15m", T0) not in _keys(due)
    assert ("BTC/USDT", "15m", T0 - timedelta(minutes=15)) in _keys(due)


def test_after_the_delay_every_timeframe_without_a_mark_is_due_at_its_last_close() -> None:
    due = _keys(due_scans(T0 + timedelta(seconds=5), SETTINGS, {}))
    assert due == [
        ("BTC/USDT", "15m", T0),
        ("BTC/USDT", "1h", T0),
        ("BTC/USDT", "4h", datetime(2025, 1, 1, 8, 0, tzinfo=UTC)),
        ("BTC/USDT", "1d", datetime(2025, 1, 1, 0, 0, tzinfo=UTC)),
    ]


def test_an_already_scanned_bar_is_not_due_again() -> None:
    marks: dict[tuple[str, str], tuple[datetime, float | None]] = {
        ("BTC/USDT", tf): (Timeframe(tf).floor(T0), 0.01) for tf in SETTINGS.timeframes
    }
    assert due_scans(T0 + timedelta(minutes=1), SETTINGS, marks) == []


def test_check_interval_shrinks_with_volatility_within_15_minutes_and_4_hours() -> None:
    assert check_interval(None, SETTINGS) == timedelta(minutes=15)
    assert check_interval(0.05, SETTINGS) == timedelta(minutes=15)
    assert check_interval(1e-6, SETTINGS) == timedelta(hours=4)
    calm, busy = check_interval(0.002, SETTINGS), check_interval(0.004, SETTINGS)
    assert calm == timedelta(hours=1)
    assert busy == timedelta(minutes=30)
    assert calm > busy


def test_a_calm_symbol_skips_short_timeframe_bars_until_its_interval_passed() -> None:
    # volatility 0.002 → a 1 h interval: the 15m bar is scanned hourly, the 1h bar always
    marks = {
        ("BTC/USDT", "15m"): (T0, 0.002),
        ("BTC/USDT", "1h"): (T0, 0.002),
        ("BTC/USDT", "4h"): (datetime(2025, 1, 1, 8, 0, tzinfo=UTC), 0.002),
        ("BTC/USDT", "1d"): (datetime(2025, 1, 1, 0, 0, tzinfo=UTC), 0.002),
    }
    at_1015 = due_scans(T0 + timedelta(minutes=15, seconds=5), SETTINGS, marks)
    assert at_1015 == []
    at_1100 = _keys(due_scans(T0 + timedelta(hours=1, seconds=5), SETTINGS, marks))
    assert at_1100 == [
        ("BTC/USDT", "15m", T0 + timedelta(hours=1)),
        ("BTC/USDT", "1h", T0 + timedelta(hours=1)),
    ]


def test_a_volatile_symbol_is_checked_at_every_15_minute_close() -> None:
    marks = {("BTC/USDT", "15m"): (T0, 0.02)}
    settings = PipelineSettings(symbols=("BTC/USDT",), timeframes=("15m",))
    due = _keys(due_scans(T0 + timedelta(minutes=15, seconds=5), settings, marks))
    assert due == [("BTC/USDT", "15m", T0 + timedelta(minutes=15))]


def test_planning_refuses_a_naive_time() -> None:
    import pytest

    with pytest.raises(ValueError, match="timezone-aware"):
        due_scans(datetime(2025, 1, 1), SETTINGS, {})
