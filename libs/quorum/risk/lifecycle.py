"""The rules state over time: the initial state, and what the passage of time implies.

Every state update (here, in :mod:`quorum.risk.switches` and in
:mod:`quorum.risk.bookkeeping`) takes the current :class:`RulesState` and returns a
:class:`StateUpdate` (new state + events to journal); the caller persists it. Each first
applies :func:`refresh_state` — daily / monthly reset at the configured local time,
expired lockouts and cooldowns, the scheduled SAFE_MODE reset, window pruning — so state
is always updated before rules are evaluated.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.risk.actions import (
    DailyReset,
    LockoutEnded,
    RiskEvent,
    SafeModeReset,
    StateUpdate,
)
from quorum.risk.calendar import (
    last_daily_reset,
    month_start,
    next_daily_reset,
    next_month_start,
)
from quorum.risk.money import ZERO
from quorum.risk.settings import RiskSettings
from quorum.risk.state import (
    RulesState,
)


def require_aware(as_of: datetime) -> None:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of: must be timezone-aware (got {as_of.isoformat()})")


def evolve_state(state: RulesState, changes: dict[str, Any]) -> RulesState:
    if not changes:
        return state
    updated = state.evolve(**changes)
    assert isinstance(updated, RulesState)
    return updated


def initial_state(equity: Decimal, as_of: datetime, settings: RiskSettings) -> RulesState:
    """A fresh state for an account with ``equity`` at ``as_of``."""
    require_aware(as_of)
    acct = settings.account
    return RulesState(
        day_started_at=last_daily_reset(as_of, acct.reset_time, acct.tz),
        next_reset_at=next_daily_reset(as_of, acct.reset_time, acct.tz),
        month_started_at=month_start(as_of, acct.reset_time, acct.tz),
        next_month_at=next_month_start(as_of, acct.reset_time, acct.tz),
        last_equity=equity,
        day_start_equity=equity,
        day_peak_equity=equity,
        month_peak_equity=equity,
    )


def _reset_day(
    state: RulesState, as_of: datetime, settings: RiskSettings, changes: dict[str, Any]
) -> RiskEvent:
    acct = settings.account
    equity = state.last_equity
    next_reset = next_daily_reset(as_of, acct.reset_time, acct.tz)
    changes.update(
        day_started_at=last_daily_reset(as_of, acct.reset_time, acct.tz),
        next_reset_at=next_reset,
        day_start_equity=equity,
        day_peak_equity=equity,
        realized_pnl_today=ZERO,
    )
    new_month = as_of >= state.next_month_at
    if new_month:
        changes.update(
            month_started_at=month_start(as_of, acct.reset_time, acct.tz),
            next_month_at=next_month_start(as_of, acct.reset_time, acct.tz),
            month_peak_equity=equity,
        )
    return DailyReset(at=as_of, next_reset_at=next_reset, equity=equity, new_month=new_month)


def _prune(
    state: RulesState, as_of: datetime, settings: RiskSettings, changes: dict[str, Any]
) -> None:
    trades_from = as_of - settings.account.trades_window
    if state.trade_times and state.trade_times[0] <= trades_from:
        changes["trade_times"] = tuple(t for t in state.trade_times if t > trades_from)
    orders_from = as_of - settings.venue.order_window
    if state.order_times and state.order_times[0] <= orders_from:
        changes["order_times"] = tuple(t for t in state.order_times if t > orders_from)
    seen_from = as_of - settings.venue.duplicate_window
    if any(t <= seen_from for t in state.seen_intents.values()):
        changes["seen_intents"] = {k: t for k, t in state.seen_intents.items() if t > seen_from}


def refresh_state(state: RulesState, as_of: datetime, settings: RiskSettings) -> StateUpdate:
    """Apply the passage of time up to ``as_of``; the same state back when nothing is due."""
    require_aware(as_of)
    if as_of < state.day_started_at:
        raise ValueError(
            f"as_of: {as_of.isoformat()} is before the state's trading day "
            f"({state.day_started_at.isoformat()}); time must not move backwards"
        )
    changes: dict[str, Any] = {}
    events: list[RiskEvent] = []
    if as_of >= state.next_reset_at or as_of >= state.next_month_at:
        events.append(_reset_day(state, as_of, settings, changes))
    expired = [lock for lock in state.lockouts if not lock.active(as_of)]
    if expired:
        changes["lockouts"] = tuple(lock for lock in state.lockouts if lock.active(as_of))
        events.extend(LockoutEnded(at=as_of, rule=lock.rule) for lock in expired)
    if state.cooldown_until is not None and as_of >= state.cooldown_until:
        changes["cooldown_until"] = None
    mode = state.safe_mode
    if mode is not None and mode.resets_at is not None and as_of >= mode.resets_at:
        changes.update(safe_mode=None, loss_streak=0, streak_loss=ZERO, streak_start_equity=None)
        events.append(SafeModeReset(at=as_of, by="schedule", cause=mode.cause))
    _prune(state, as_of, settings, changes)
    return StateUpdate(state=evolve_state(state, changes), events=tuple(events))


def daily_reset(
    state: RulesState, as_of: datetime, settings: RiskSettings, *, force: bool = False
) -> StateUpdate:
    """Run the daily reset: when due (idempotent), or now with ``force`` (an operator action
    that starts a new trading day at the last scheduled reset instant)."""
    update = refresh_state(state, as_of, settings)
    if not force or any(isinstance(e, DailyReset) for e in update.events):
        return update
    changes: dict[str, Any] = {}
    reset = _reset_day(update.state, as_of, settings, changes)
    return StateUpdate(state=evolve_state(update.state, changes), events=(*update.events, reset))
