"""The risk rules' memory between decisions, persisted by the caller.

:class:`RulesState` is a frozen value; the functions in :mod:`quorum.risk.lifecycle`
return new states (with the events to journal) and never mutate one.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Self

from pydantic import Field, model_validator

from quorum.domain import (
    DomainModel,
    Money,
    NonNegativeDecimal,
    PositiveMoney,
    TradingState,
    UtcDatetime,
)


def count_in_window(times: tuple[datetime, ...], as_of: datetime, window: timedelta) -> int:
    """How many of the sorted ``times`` fall in ``(as_of - window, as_of]``."""
    return bisect_right(times, as_of) - bisect_right(times, as_of - window)


def with_time(times: tuple[datetime, ...], when: datetime) -> tuple[datetime, ...]:
    """``times`` with ``when`` added, kept sorted."""
    if not times or times[-1] <= when:
        return (*times, when)
    ordered = list(times)
    insort(ordered, when)
    return tuple(ordered)


class Lockout(DomainModel):
    """New entries are refused while a lockout is active; some also close positions."""

    rule: str = Field(min_length=1, max_length=80)
    reason: str = Field(default="", max_length=400)
    since: UtcDatetime
    until: UtcDatetime | None = None
    """End of the lockout; ``None`` lasts until lifted explicitly."""
    close_positions: bool = False

    def active(self, as_of: datetime) -> bool:
        return self.until is None or as_of < self.until


class SafeModeCause(StrEnum):
    DAILY_DRAWDOWN = "daily_drawdown"
    MONTHLY_DRAWDOWN = "monthly_drawdown"
    LOSS_STREAK = "loss_streak"
    MANUAL = "manual"


class SafeMode(DomainModel):
    """SAFE_MODE: no new entries; positions are only managed toward exit."""

    cause: SafeModeCause
    reason: str = Field(max_length=400)
    tripped_at: UtcDatetime
    resets_at: UtcDatetime | None = None
    """Scheduled automatic reset; ``None`` means only a manual command resets it."""


class KillSwitch(DomainModel):
    """The risk gate's view of an engaged kill switch (trading ``reducing`` or ``halted``):
    every new or amended entry is refused."""

    engaged_at: UtcDatetime
    by: str = Field(min_length=1, max_length=120)
    reason: str = Field(default="", max_length=400)
    state: TradingState = TradingState.HALTED


class RulesState(DomainModel):
    """Counters, lockouts and switches the account rules keep between decisions."""

    day_started_at: UtcDatetime
    next_reset_at: UtcDatetime
    month_started_at: UtcDatetime
    next_month_at: UtcDatetime
    last_equity: PositiveMoney
    day_start_equity: PositiveMoney
    day_peak_equity: PositiveMoney
    month_peak_equity: PositiveMoney
    realized_pnl_today: Money = Decimal(0)
    trade_times: tuple[UtcDatetime, ...] = ()
    """Entry times inside the trades window, sorted oldest first."""
    order_times: tuple[UtcDatetime, ...] = ()
    """Order submission times inside the throttle window, sorted oldest first."""
    seen_intents: dict[str, UtcDatetime] = Field(default_factory=dict)
    """Intent ids submitted inside the duplicate window, with their time."""
    loss_streak: int = Field(default=0, ge=0)
    streak_loss: NonNegativeDecimal = Decimal(0)
    streak_start_equity: PositiveMoney | None = None
    cooldown_until: UtcDatetime | None = None
    lockouts: tuple[Lockout, ...] = ()
    safe_mode: SafeMode | None = None
    kill_switch: KillSwitch | None = None
    """The trading state's view, set by the caller from the one ``trading_state`` record
    (:func:`quorum.risk.with_trading_state`) when it loads this state; the caller does not
    persist it (see ``quorum.pipeline.persistence.save_rules``)."""
    account_can_trade: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for name in ("trade_times", "order_times"):
            times = getattr(self, name)
            if any(a > b for a, b in pairwise(times)):
                raise ValueError(f"{name}: must be sorted oldest first")
        if not self.day_started_at < self.next_reset_at:
            raise ValueError("next_reset_at: must be after day_started_at")
        if not self.month_started_at < self.next_month_at:
            raise ValueError("next_month_at: must be after month_started_at")
        return self

    def active_lockouts(self, as_of: datetime) -> tuple[Lockout, ...]:
        return tuple(lock for lock in self.lockouts if lock.active(as_of))
