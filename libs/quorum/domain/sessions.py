"""Trading sessions: weekly local-time hours in an IANA time zone, minus holidays.

Values of the risk settings (``quorum.config.settings.risk``) read by the risk gate; pure.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cached_property
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from quorum.domain.base import CachedModel, DomainModel


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` called ``name``; raises ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone: unknown IANA time zone {name!r}") from exc


class SessionHours(DomainModel):
    """Open hours on one weekday (0 = Monday), local time, ``[open, close)``.

    ``close <= open`` means the session runs past midnight into the next weekday;
    ``close == 00:00`` with ``open == 00:00`` is the whole day.
    """

    weekday: int = Field(ge=0, le=6)
    open: time
    close: time

    @field_validator("open", "close")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("must be a local wall-clock time without tzinfo")
        return value


def _inside(window: SessionHours, weekday: int, clock: time) -> bool:
    if window.open < window.close:
        return window.weekday == weekday and window.open <= clock < window.close
    # Runs past midnight: from ``open`` on its weekday to ``close`` on the next one.
    if window.weekday == weekday:
        return clock >= window.open
    return (window.weekday + 1) % 7 == weekday and clock < window.close


class TradingSession(CachedModel):
    """When a symbol may trade: weekly hours in a time zone, minus holiday dates."""

    timezone: str = "UTC"
    hours: tuple[SessionHours, ...] = Field(min_length=1)
    holidays: frozenset[date] = frozenset()

    @model_validator(mode="after")
    def _zone_exists(self) -> Self:
        zone(self.timezone)
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @cached_property
    def windows_by_weekday(self) -> tuple[tuple[SessionHours, ...], ...]:
        """For each weekday (0 = Monday), the windows that can cover it: those starting on
        it, and the overnight ones from the day before, in their configured order."""
        return tuple(
            tuple(
                w
                for w in self.hours
                if w.weekday == day or (w.close <= w.open and (w.weekday + 1) % 7 == day)
            )
            for day in range(7)
        )

    def is_open(self, as_of: datetime) -> bool:
        """True when ``as_of`` (UTC) falls inside an open window on a non-holiday."""
        local = as_of.astimezone(self.tz)
        if self.holidays and local.date() in self.holidays:
            return False
        weekday = local.weekday()
        clock = local.time()
        return any(_inside(window, weekday, clock) for window in self.windows_by_weekday[weekday])

    @classmethod
    def weekdays(
        cls,
        timezone: str,
        open_: time,
        close: time,
        holidays: frozenset[date] = frozenset(),
        days: tuple[int, ...] = (0, 1, 2, 3, 4),
    ) -> TradingSession:
        """The same hours on each of ``days`` (Monday to Friday by default)."""
        hours = tuple(SessionHours(weekday=d, open=open_, close=close) for d in days)
        return cls(timezone=timezone, hours=hours, holidays=holidays)
