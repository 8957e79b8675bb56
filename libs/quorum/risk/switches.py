"""Switches and modes: SAFE_MODE trip / reset, the kill switch, the account's ability to
trade, lockouts, and applying the monitor's state actions. All pure; see
:mod:`quorum.risk.lifecycle` for the update contract."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from quorum.domain import TradingStatus
from quorum.risk.actions import (
    AccountTradingChanged,
    Action,
    KillSwitchChanged,
    LockOut,
    LockoutStarted,
    RiskEvent,
    SafeModeReset,
    SafeModeTripped,
    StateUpdate,
    TripSafeMode,
)
from quorum.risk.drawdown import Breach
from quorum.risk.lifecycle import evolve_state, refresh_state
from quorum.risk.money import ZERO
from quorum.risk.settings import RiskSettings
from quorum.risk.state import KillSwitch, Lockout, RulesState, SafeMode, SafeModeCause


def _resets_at(state: RulesState, cause: SafeModeCause, settings: RiskSettings) -> datetime | None:
    if not settings.drawdown.auto_reset or cause is SafeModeCause.MANUAL:
        return None
    if cause is SafeModeCause.MONTHLY_DRAWDOWN:
        return state.next_month_at
    return state.next_reset_at


def trip_safe_mode(
    state: RulesState,
    cause: SafeModeCause,
    reason: str,
    as_of: datetime,
    settings: RiskSettings,
    *,
    measured: str = "",
    limit: str = "",
) -> StateUpdate:
    """Enter SAFE_MODE (a no-op when already in it)."""
    update = refresh_state(state, as_of, settings)
    if update.state.safe_mode is not None:
        return update
    resets_at = _resets_at(update.state, cause, settings)
    mode = SafeMode(cause=cause, reason=reason, tripped_at=as_of, resets_at=resets_at)
    event = SafeModeTripped(
        at=as_of, cause=cause, reason=reason, measured=measured, limit=limit, resets_at=resets_at
    )
    return StateUpdate(
        state=evolve_state(update.state, {"safe_mode": mode}), events=(*update.events, event)
    )


def trip_on(
    update: StateUpdate, breach: Breach | None, as_of: datetime, settings: RiskSettings
) -> StateUpdate:
    if breach is None or update.state.safe_mode is not None:
        return update
    tripped = trip_safe_mode(
        update.state,
        breach.cause,
        breach.reason,
        as_of,
        settings,
        measured=breach.measured,
        limit=breach.limit,
    )
    return StateUpdate(state=tripped.state, events=(*update.events, *tripped.events))


def manual_reset_safe_mode(
    state: RulesState, as_of: datetime, settings: RiskSettings, *, authorized_by: str
) -> StateUpdate:
    """Leave SAFE_MODE by an authorized operator command; clears the loss streak."""
    if not authorized_by.strip():
        raise ValueError("authorized_by: a manual SAFE_MODE reset must name the operator")
    update = refresh_state(state, as_of, settings)
    mode = update.state.safe_mode
    if mode is None:
        return update
    changes = {
        "safe_mode": None,
        "loss_streak": 0,
        "streak_loss": ZERO,
        "streak_start_equity": None,
    }
    event = SafeModeReset(at=as_of, by=authorized_by, cause=mode.cause)
    return StateUpdate(state=evolve_state(update.state, changes), events=(*update.events, event))


def set_kill_switch(
    state: RulesState,
    engaged: bool,
    as_of: datetime,
    settings: RiskSettings,
    *,
    by: str,
    reason: str = "",
) -> StateUpdate:
    """Engage or release the kill switch in this value only (tests and what-if evaluation);
    the trading state itself is one stored record applied with :func:`with_trading_state`."""
    if not by.strip():
        raise ValueError("by: the kill switch must name who changed it")
    update = refresh_state(state, as_of, settings)
    if (update.state.kill_switch is not None) == engaged:
        return update
    switch = KillSwitch(engaged_at=as_of, by=by, reason=reason) if engaged else None
    event = KillSwitchChanged(at=as_of, engaged=engaged, by=by, reason=reason)
    return StateUpdate(
        state=evolve_state(update.state, {"kill_switch": switch}), events=(*update.events, event)
    )


def with_trading_state(state: RulesState, status: TradingStatus) -> RulesState:
    """``state`` as the risk gate sees it under the stored trading state (the one record,
    read by the caller): entries are refused unless trading is ``active``."""
    switch = None
    if status.engaged and status.since is not None:
        switch = KillSwitch(
            engaged_at=status.since, by=status.by or "?", reason=status.reason, state=status.state
        )
    if state.kill_switch == switch:
        return state
    return state.model_copy(update={"kill_switch": switch})


def set_account_can_trade(
    state: RulesState, can_trade: bool, as_of: datetime, settings: RiskSettings, reason: str = ""
) -> StateUpdate:
    """Record whether the exchange account can trade; while it cannot, entries are locked and
    the monitor closes every position."""
    update = refresh_state(state, as_of, settings)
    if update.state.account_can_trade == can_trade:
        return update
    event = AccountTradingChanged(at=as_of, can_trade=can_trade, reason=reason)
    return StateUpdate(
        state=evolve_state(update.state, {"account_can_trade": can_trade}),
        events=(*update.events, event),
    )


def lock_out(
    state: RulesState, rule: str, reason: str, as_of: datetime, until: datetime | None, close: bool
) -> tuple[dict[str, Any], RiskEvent | None]:
    if any(lock.rule == rule and lock.active(as_of) for lock in state.lockouts):
        return {}, None
    lock = Lockout(rule=rule, reason=reason, since=as_of, until=until, close_positions=close)
    event = LockoutStarted(at=as_of, rule=rule, reason=reason, until=until, close_positions=close)
    return {"lockouts": (*state.lockouts, lock)}, event


def apply_actions(
    state: RulesState, actions: Iterable[Action], as_of: datetime, settings: RiskSettings
) -> StateUpdate:
    """Apply the state-changing actions of a monitor pass (trip SAFE_MODE, lock out)."""
    update = refresh_state(state, as_of, settings)
    current, events = update.state, list(update.events)
    for action in actions:
        if isinstance(action, TripSafeMode):
            tripped = trip_safe_mode(
                current,
                action.cause,
                action.reason,
                as_of,
                settings,
                measured=action.measured,
                limit=action.limit,
            )
            current = tripped.state
            events.extend(tripped.events)
        elif isinstance(action, LockOut):
            more, event = lock_out(
                current,
                action.rule,
                action.reason,
                as_of,
                action.until,
                action.close_positions,
            )
            current = evolve_state(current, more)
            events.extend([event] if event else [])
    return StateUpdate(state=current, events=tuple(events))
