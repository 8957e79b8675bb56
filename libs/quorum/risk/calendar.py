"""Local-time schedules: the daily reset instant and month starts.

Trading sessions (``TradingSession``, ``SessionHours``) and ``zone`` are values of the
risk settings and live in :mod:`quorum.domain.sessions`; they are re-exported here.

All inputs and outputs are timezone-aware UTC instants; local wall-clock times
(reset time, session hours, holiday dates) are interpreted in an IANA time zone via
``zoneinfo``, so daylight-saving changes move the UTC instants as they should.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from quorum.domain.sessions import SessionHours as SessionHours
from quorum.domain.sessions import TradingSession as TradingSession
from quorum.domain.sessions import zone as zone


def _local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def next_daily_reset(as_of: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first instant strictly after ``as_of`` at which the local clock shows ``at``."""
    local_day = as_of.astimezone(tz).date()
    candidate = _local_instant(local_day, at, tz)
    while candidate <= as_of:
        local_day += timedelta(days=1)
        candidate = _local_instant(local_day, at, tz)
    return candidate


def last_daily_reset(as_of: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The last instant at or before ``as_of`` at which the local clock showed ``at``."""
    local_day = as_of.astimezone(tz).date()
    candidate = _local_instant(local_day, at, tz)
    while candidate > as_of:
        local_day -= timedelta(days=1)
        candidate = _local_instant(local_day, at, tz)
    return candidate


def month_start(as_of: datetime, at: time, tz: ZoneInfo) -> datetime:
    """Start of the local month containing ``as_of`` (first day at the reset time)."""
    local = as_of.astimezone(tz)
    start = _local_instant(local.date().replace(day=1), at, tz)
    if start > as_of:  # before the reset time on the 1st: still the previous month
        previous = local.date().replace(day=1) - timedelta(days=1)
        start = _local_instant(previous.replace(day=1), at, tz)
    return start


def next_month_start(as_of: datetime, at: time, tz: ZoneInfo) -> datetime:
    """Start of the local month after the one containing ``as_of``."""
    first = month_start(as_of, at, tz).astimezone(tz).date()
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _local_instant(following, at, tz)
