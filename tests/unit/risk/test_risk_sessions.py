"""Trading sessions per symbol in their time zone, holidays, and the daily reset at a
local time — across the 2024 daylight-saving changes in New York (Mar 10 and Nov 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from tests.unit.risk.risk_kit import EQUITY, decide, settings, signal, state

from quorum.domain import Verdict
from quorum.risk import (
    Rule,
    SessionHours,
    TradingSession,
    on_trade_closed,
)
from quorum.risk.calendar import last_daily_reset, next_daily_reset, zone

NEW_YORK = "America/New_York"
REGULAR = TradingSession.weekdays(
    NEW_YORK, time(9, 30), time(16, 0), holidays=frozenset({date(2024, 7, 4)})
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "is_open"),
    [
        ("2024-03-08T14:29:59", False),  # Fri, EST: 09:29:59
        ("2024-03-08T14:30:00", True),  # Fri, EST: 09:30
        ("2024-03-08T20:30:00", True),  # Fri, EST: 15:30
        ("2024-03-08T21:00:00", False),  # Fri, EST: 16:00 (close is exclusive)
        ("2024-03-11T13:29:59", False),  # Mon, EDT: 09:29:59
        ("2024-03-11T13:30:00", True),  # Mon, EDT: 09:30 — an hour earlier in UTC
        ("2024-03-11T20:30:00", False),  # Mon, EDT: 16:30
        ("2024-11-01T13:30:00", True),  # Fri, EDT: 09:30
        ("2024-11-04T13:30:00", False),  # Mon, EST: 08:30 — an hour later in UTC
        ("2024-11-04T14:30:00", True),  # Mon, EST: 09:30
        ("2024-03-09T15:00:00", False),  # Saturday
        ("2024-07-04T15:00:00", False),  # Independence Day holiday
    ],
)
def test_session_opens_at_local_time_across_daylight_saving(instant: str, is_open: bool) -> None:
    assert REGULAR.is_open(utc(instant)) is is_open


def test_overnight_session_runs_past_midnight_into_the_next_weekday() -> None:
    sunday_evening = TradingSession(
        timezone="America/Chicago",
        hours=(SessionHours(weekday=6, open=time(17, 0), close=time(16, 0)),),
    )
    assert sunday_evening.is_open(utc("2024-03-10T23:30:00"))  # Sun 18:30 CDT
    assert sunday_evening.is_open(utc("2024-03-11T20:59:00"))  # Mon 15:59 CDT
    assert not sunday_evening.is_open(utc("2024-03-11T21:00:00"))  # Mon 16:00 CDT
    assert not sunday_evening.is_open(utc("2024-03-10T21:59:00"))  # Sun 16:59 CDT


def test_session_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ValueError, match="unknown IANA time zone"):
        TradingSession.weekdays("Mars/Olympus", time(9), time(17))


def test_evaluate_rejects_outside_the_symbol_session_naming_local_time() -> None:
    s = settings(account={"sessions": {"BTC/USDT": REGULAR.model_dump()}})
    monday = utc("2024-03-11T13:29:00")
    decision = decide(signal(as_of=monday), rules=state(s, as_of=monday), as_of=monday, s=s)
    failed = decision.failed[0]
    assert failed.rule == Rule.SESSION
    assert failed.measured == "closed at 2024-03-11T09:29:00-04:00"
    assert failed.limit == f"open ({NEW_YORK})"


def test_evaluate_allows_inside_the_session_after_the_clocks_change() -> None:
    s = settings(account={"sessions": {"*": REGULAR.model_dump()}})
    monday = utc("2024-03-11T13:30:00")
    decision = decide(signal(as_of=monday), rules=state(s, as_of=monday), as_of=monday, s=s)
    assert decision.verdict is Verdict.APPROVED


def test_symbols_without_a_session_trade_around_the_clock() -> None:
    s = settings(account={"sessions": {"ETH/USDT": REGULAR.model_dump()}})
    saturday = utc("2024-03-09T03:00:00")
    decision = decide(signal(as_of=saturday), rules=state(s, as_of=saturday), as_of=saturday, s=s)
    assert decision.verdict is Verdict.APPROVED


def test_daily_reset_follows_local_time_across_the_spring_change() -> None:
    tz = zone(NEW_YORK)
    five_pm = time(17, 0)
    assert next_daily_reset(utc("2024-03-09T12:00:00"), five_pm, tz) == utc("2024-03-09T22:00:00")
    assert next_daily_reset(utc("2024-03-09T22:00:00"), five_pm, tz) == utc("2024-03-10T21:00:00")
    assert last_daily_reset(utc("2024-03-10T21:00:00"), five_pm, tz) == utc("2024-03-10T21:00:00")
    assert next_daily_reset(utc("2024-11-03T12:00:00"), five_pm, tz) == utc("2024-11-03T22:00:00")


def test_trading_day_is_twenty_three_hours_on_the_spring_change() -> None:
    s = settings(account={"timezone": NEW_YORK, "reset_time": "17:00"})
    rules = state(s, as_of=utc("2024-03-10T12:00:00"))
    assert rules.day_started_at == utc("2024-03-09T22:00:00")
    assert rules.next_reset_at - rules.day_started_at == timedelta(hours=23)
    autumn = state(s, as_of=utc("2024-11-03T12:00:00"))
    assert autumn.next_reset_at - autumn.day_started_at == timedelta(hours=25)


def test_a_daily_lockout_ends_at_the_local_reset_after_the_clocks_change() -> None:
    s = settings(account={"timezone": NEW_YORK, "reset_time": "17:00", "cooldown_tiers": []})
    morning = utc("2024-03-10T14:00:00")
    locked = on_trade_closed(state(s, as_of=morning), Decimal(-3_500), EQUITY - 3_500, morning, s)
    assert locked.state.lockouts[0].until == utc("2024-03-10T21:00:00")

    def at(instant: str) -> Verdict:
        when = utc(instant)
        return decide(signal(as_of=when), rules=locked.state, as_of=when, s=s).verdict

    assert at("2024-03-10T20:59:59") is Verdict.REJECTED  # 16:59:59 EDT
    assert at("2024-03-10T21:00:00") is Verdict.APPROVED  # 17:00 EDT, not 22:00 UTC
