from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from quorum.clock import Clock, ReplayClock, SystemClock
from quorum.domain.codecs import ensure_utc
from quorum.errors import ClockError

T0 = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)


def test_system_clock_returns_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert isinstance(SystemClock(), Clock)


def test_replay_clock_moves_forward_only() -> None:
    clock = ReplayClock(T0)
    clock.advance(timedelta(minutes=15))
    assert clock.now() == T0 + timedelta(minutes=15)
    assert clock.monotonic() == 900.0
    with pytest.raises(ClockError, match="cannot move backwards"):
        clock.set(T0)
    with pytest.raises(ClockError, match="advance must be >= 0"):
        clock.advance(timedelta(seconds=-1))


def test_replay_clock_refuses_naive_times() -> None:
    with pytest.raises(ClockError, match="start: must be timezone-aware"):
        ReplayClock(datetime(2024, 1, 1))


def test_ensure_utc_converts_other_zones() -> None:
    cet = timezone(timedelta(hours=1))
    assert ensure_utc(datetime(2024, 1, 1, 1, 0, tzinfo=cet)) == datetime(2024, 1, 1, tzinfo=UTC)
