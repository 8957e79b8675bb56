"""Bookkeeping of orders, fills, closed trades and equity marks in the rules state:
throttle and duplicate memory, trades per window, realized P&L, loss streak, cooldowns,
daily-loss and profit-target lockouts, drawdown peaks and SAFE_MODE trips. All pure; see
:mod:`quorum.risk.lifecycle` for the update contract."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.domain import Fill
from quorum.risk.actions import CooldownStarted, RiskEvent, StateUpdate
from quorum.risk.drawdown import drawdown_breach, streak_breach
from quorum.risk.lifecycle import evolve_state, refresh_state
from quorum.risk.money import ZERO, pct
from quorum.risk.rules import Rule
from quorum.risk.settings import CooldownTier, RiskSettings
from quorum.risk.state import RulesState, with_time
from quorum.risk.switches import lock_out, trip_on


def mark_equity(
    state: RulesState, equity: Decimal, as_of: datetime, settings: RiskSettings
) -> StateUpdate:
    """Record the account's equity: peaks for the day and month, and a SAFE_MODE trip when a
    drawdown limit is breached."""
    if equity <= 0:
        raise ValueError(f"equity: must be > 0 (got {equity})")
    update = refresh_state(state, as_of, settings)
    current = update.state
    changes: dict[str, Any] = {"last_equity": equity}
    if equity > current.day_peak_equity:
        changes["day_peak_equity"] = equity
    if equity > current.month_peak_equity:
        changes["month_peak_equity"] = equity
    marked = StateUpdate(state=evolve_state(current, changes), events=update.events)
    breach = drawdown_breach(marked.state, equity, settings.drawdown)
    return trip_on(marked, breach, as_of, settings)


def record_order(
    state: RulesState, intent_id: str, as_of: datetime, settings: RiskSettings
) -> StateUpdate:
    """Remember a submitted order for the rate throttle and the duplicate-intent check."""
    update = refresh_state(state, as_of, settings)
    current = update.state
    seen = dict(current.seen_intents)
    seen[intent_id] = as_of
    changes = {"order_times": with_time(current.order_times, as_of), "seen_intents": seen}
    return StateUpdate(state=evolve_state(current, changes), events=update.events)


def on_fill(
    state: RulesState, fill: Fill, settings: RiskSettings, *, opens_position: bool
) -> StateUpdate:
    """Count a trade for the trades-per-window limit when ``fill`` opens a position."""
    update = refresh_state(state, fill.ts, settings)
    if not opens_position:
        return update
    changes = {"trade_times": with_time(update.state.trade_times, fill.ts)}
    return StateUpdate(state=evolve_state(update.state, changes), events=update.events)


def _cooldown(loss_fraction: Decimal, settings: RiskSettings) -> CooldownTier | None:
    chosen = None
    for tier in settings.account.cooldown_tiers:
        if loss_fraction >= tier.min_loss_fraction:
            chosen = tier
    return chosen


def on_trade_closed(
    state: RulesState, pnl: Decimal, equity: Decimal, as_of: datetime, settings: RiskSettings
) -> StateUpdate:
    """A position closed with net ``pnl``; ``equity`` is the account equity after it.

    Updates today's realized P&L, the loss streak and cooldown, locks entries when the daily
    loss limit or the profit target is passed, and trips SAFE_MODE on a loss streak or a
    drawdown.
    """
    update = mark_equity(state, equity, as_of, settings)
    current = update.state
    events: list[RiskEvent] = list(update.events)
    realized = current.realized_pnl_today + pnl
    changes: dict[str, Any] = {"realized_pnl_today": realized}
    if pnl < 0:
        loss = -pnl
        before = equity + loss
        start = current.streak_start_equity if current.streak_start_equity is not None else before
        changes.update(
            loss_streak=current.loss_streak + 1,
            streak_loss=current.streak_loss + loss,
            streak_start_equity=start,
        )
        fraction = loss / before
        tier = _cooldown(fraction, settings)
        if tier is not None:
            until = as_of + tier.pause
            if current.cooldown_until is None or until > current.cooldown_until:
                changes["cooldown_until"] = until
                events.append(
                    CooldownStarted(at=as_of, loss=loss, loss_fraction=fraction, until=until)
                )
    elif pnl > 0:
        changes.update(loss_streak=0, streak_loss=ZERO, streak_start_equity=None)
    current = evolve_state(current, changes)

    acct = settings.account
    limit = acct.daily_realized_loss_fraction
    loss_share = -realized / current.day_start_equity
    if limit is not None and loss_share > limit and acct.daily_realized_loss_action.locks:
        reason = f"realized loss today {pct(loss_share)} exceeds {pct(limit)}"
        more, event = lock_out(
            current, Rule.DAILY_REALIZED_LOSS, reason, as_of, current.next_reset_at, True
        )
        current = evolve_state(current, more)
        events.extend([event] if event else [])
    target = acct.profit_target_fraction
    gain_share = realized / current.day_start_equity
    if target is not None and gain_share > target:
        reason = f"profit target reached: {pct(gain_share)} > {pct(target)}"
        close = acct.profit_target_action.closes_all
        more, event = lock_out(
            current, Rule.PROFIT_TARGET, reason, as_of, current.next_reset_at, close
        )
        current = evolve_state(current, more)
        events.extend([event] if event else [])
    result = StateUpdate(state=current, events=tuple(events))
    return trip_on(result, streak_breach(current, settings.drawdown), as_of, settings)
