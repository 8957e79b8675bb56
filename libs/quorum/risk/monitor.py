"""Position management: ``monitor`` turns open positions and fresh prices into Actions.

Pure and deterministic. Order of work:

1. SAFE_MODE trip when the account's equity breaks a drawdown limit;
2. account rules, first breach wins: account cannot trade, a closing lockout, daily
   realized loss, a position's floating loss under a close-all action, total floating
   loss, profit target — closing every position and/or locking out as configured;
3. per position, first exit wins: stop-loss hit, take-profit hit (from the quote, or the
   bar's low/high in replay; both inside one bar counts as the stop), session ended
   (``account.close_at_session_end``), unprotected past the grace period, time exit,
   floating-loss limit; then liquidation prevention (alert at
   80 % of maintenance-margin usage, reduce at 90 %) and stop management (breakeven after
   N R, ATR trail after M R). Stops only ever move in the position's favour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from quorum.domain import Direction
from quorum.risk.actions import (
    Action,
    Alert,
    ClosePosition,
    LockOut,
    MoveStop,
    ReducePosition,
    TripSafeMode,
)
from quorum.risk.drawdown import drawdown_breach
from quorum.risk.inputs import AccountSnapshot, MonitoredPosition
from quorum.risk.lifecycle import refresh_state
from quorum.risk.marking import Book, Marked, PriceUpdate, extremes, mark_all
from quorum.risk.money import ZERO, pct, round_to_tick, show
from quorum.risk.rules import BreachAction, Rule
from quorum.risk.settings import RiskSettings
from quorum.risk.state import RulesState


def _close(
    mp: MonitoredPosition, rule: str, reason: str, price: Decimal | None = None
) -> ClosePosition:
    p = mp.position
    return ClosePosition(
        position_id=p.position_id,
        symbol=p.symbol,
        quantity=p.quantity,
        rule=rule,
        reason=reason,
        trigger_price=price,
    )


def monitor(
    positions: Sequence[MonitoredPosition],
    quotes: Mapping[str, PriceUpdate],
    rules_state: RulesState,
    as_of: datetime,
    settings: RiskSettings,
    account: AccountSnapshot | None = None,
) -> list[Action]:
    """The actions open positions need at ``as_of`` given the latest ``quotes`` (or bars).

    ``account`` (current equity) enables the drawdown check that trips SAFE_MODE.
    """
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError(f"as_of: must be timezone-aware (got {as_of.isoformat()})")
    state = rules_state
    if as_of >= state.next_reset_at or as_of >= state.next_month_at:
        state = refresh_state(rules_state, as_of, settings).state
    actions: list[Action] = []
    if account is not None and state.safe_mode is None:
        breach = drawdown_breach(state, account.equity, settings.drawdown)
        if breach is not None:
            actions.append(
                TripSafeMode(
                    cause=breach.cause,
                    rule=breach.rule,
                    reason=breach.reason,
                    measured=breach.measured,
                    limit=breach.limit,
                )
            )
    book = mark_all(positions, quotes)
    rows = book.rows
    if _account_rules(book, state, as_of, settings, actions):
        return actions
    limits = _Limits.of(state, settings)
    for row in rows:
        if row.price is None:
            p = row.mp.position
            actions.append(
                Alert(
                    rule=Rule.NO_QUOTE,
                    reason=f"no price for {p.symbol}; position not managed",
                    position_id=p.position_id,
                    symbol=p.symbol,
                )
            )
            continue
        _manage(row, limits, as_of, settings, actions)
    return actions


def _close_all(rows: Sequence[Marked], rule: str, reason: str, actions: list[Action]) -> bool:
    actions.extend(_close(row.mp, rule, reason) for row in rows)
    return True


def _account_breaches(
    book: Book, state: RulesState, settings: RiskSettings
) -> list[tuple[Rule, BreachAction, str]]:
    """Money-limit breaches of the account rules, in evaluation order."""
    acct = settings.account
    base = state.day_start_equity
    breaches: list[tuple[Rule, BreachAction, str]] = []
    limit = acct.daily_realized_loss_fraction
    realized_loss = -state.realized_pnl_today / base
    if limit is not None and realized_loss > limit:
        reason = f"realized loss today {pct(realized_loss)} exceeds {pct(limit)}"
        breaches.append((Rule.DAILY_REALIZED_LOSS, acct.daily_realized_loss_action, reason))
    limit = acct.position_unrealized_loss_fraction
    if limit is not None and acct.position_unrealized_loss_action.closes_all:
        worst = book.worst
        loss = ZERO if worst is None else -worst.pnl / base
        if worst is not None and loss > limit:
            reason = (
                f"{worst.mp.position.position_id} floating loss {pct(loss)} exceeds {pct(limit)}"
            )
            action = acct.position_unrealized_loss_action
            breaches.append((Rule.POSITION_UNREALIZED_LOSS, action, reason))
    limit = acct.daily_unrealized_loss_fraction
    if limit is not None:
        floating = -book.floating / base
        if floating > limit:
            reason = f"total floating loss {pct(floating)} exceeds {pct(limit)}"
            breaches.append((Rule.DAILY_UNREALIZED_LOSS, acct.daily_unrealized_loss_action, reason))
    target = acct.profit_target_fraction
    gain = state.realized_pnl_today / base
    if target is not None and gain > target:
        reason = f"profit target reached: {pct(gain)} > {pct(target)}"
        breaches.append((Rule.PROFIT_TARGET, acct.profit_target_action, reason))
    return breaches


def _account_rules(
    book: Book,
    state: RulesState,
    as_of: datetime,
    settings: RiskSettings,
    actions: list[Action],
) -> bool:
    """Account-level rules, first breach wins; True when every position is being closed."""
    rows = book.rows
    if not state.account_can_trade:
        reason = "the exchange account cannot trade: close all and lock until it can"
        return _close_all(rows, Rule.ACCOUNT_CAN_TRADE, reason, actions)
    for lock in state.lockouts:
        if lock.close_positions and lock.active(as_of):
            return _close_all(rows, lock.rule, f"locked out: {lock.reason}", actions)
    breaches = _account_breaches(book, state, settings)
    if not breaches:
        return False
    rule, action, reason = breaches[0]
    if action.locks and not any(k.rule == rule and k.active(as_of) for k in state.lockouts):
        actions.append(LockOut(rule=rule, reason=reason, until=state.next_reset_at))
    if action.closes_all:
        return _close_all(rows, rule, reason, actions)
    actions.append(Alert(rule=rule, reason=f"{reason}; new entries refused"))
    return False


class _Limits(NamedTuple):
    """What ``_manage`` compares every position against, computed once per pass."""

    grace: timedelta
    max_holding: timedelta | None
    loss_fraction: Decimal | None
    loss_money: Decimal
    """``loss_fraction × start equity``: the money floor a position's loss is tested against."""
    day_start_equity: Decimal
    closes_position: bool

    @classmethod
    def of(cls, state: RulesState, settings: RiskSettings) -> _Limits:
        acct = settings.account
        limit = acct.position_unrealized_loss_fraction
        base = state.day_start_equity
        return cls(
            acct.unprotected_grace,
            settings.monitor.max_holding,
            limit,
            ZERO if limit is None else limit * base,
            base,
            acct.position_unrealized_loss_action is BreachAction.CLOSE_POSITION,
        )


def _manage(
    row: Marked,
    limits: _Limits,
    as_of: datetime,
    settings: RiskSettings,
    actions: list[Action],
) -> None:
    mp, price, mark, pnl = row
    assert price is not None
    p = mp.position
    long = p.direction is Direction.LONG
    stop = mp.stop
    worst, best = extremes(p.direction, price, mark)
    if (worst <= stop) if long else (worst >= stop):
        actions.append(_close(mp, Rule.STOP_LOSS_HIT, f"stop {show(stop)} touched", stop))
        return
    tp = p.take_profit
    if tp is not None and ((best >= tp) if long else (best <= tp)):
        actions.append(_close(mp, Rule.TAKE_PROFIT_HIT, f"take-profit {show(tp)} touched", tp))
        return
    acct = settings.account
    if acct.close_at_session_end:
        session = acct.session_for(p.symbol)
        if session is not None and not session.is_open(as_of):
            local = as_of.astimezone(session.tz).isoformat()
            reason = f"{p.symbol} session closed at {local}: close at session end"
            actions.append(_close(mp, Rule.SESSION_CLOSE, reason))
            return
    if not mp.stop_order_active:
        since = mp.unprotected_since or p.opened_at
        if as_of - since > limits.grace:
            reason = f"no protective stop since {since.isoformat()} (grace {limits.grace})"
            actions.append(_close(mp, Rule.UNPROTECTED_POSITION, reason))
            return
    held = limits.max_holding
    if held is not None and as_of - p.opened_at >= held:
        actions.append(_close(mp, Rule.TIME_EXIT, f"held {as_of - p.opened_at} (max {held})"))
        return
    limit = limits.loss_fraction
    if limit is not None and -pnl > limits.loss_money:
        loss = -pnl / limits.day_start_equity
        if loss > limit:
            reason = f"floating loss {pct(loss)} of start equity exceeds {pct(limit)}"
            if limits.closes_position:
                actions.append(_close(mp, Rule.POSITION_UNREALIZED_LOSS, reason))
                return
            actions.append(
                Alert(
                    rule=Rule.POSITION_UNREALIZED_LOSS,
                    reason=reason,
                    position_id=p.position_id,
                    symbol=p.symbol,
                    measured=pct(loss),
                    limit=pct(limit),
                )
            )
    if mp.collateral is not None:
        _liquidation_guard(mp, mark, pnl, settings, actions)
    _move_stop(mp, long, mark, best, settings, actions)


def margin_usage(mp: MonitoredPosition, mark: Decimal, pnl: Decimal) -> Decimal | None:
    """Maintenance margin / position equity for a leveraged (isolated) position, else None."""
    collateral = mp.collateral
    if collateral is None:
        return None
    equity = collateral + pnl
    maintenance = mark * mp.position.quantity * mp.maintenance_margin_rate
    if equity <= 0:
        return Decimal("Infinity")
    return maintenance / equity


def _liquidation_guard(
    mp: MonitoredPosition,
    mark: Decimal,
    pnl: Decimal,
    settings: RiskSettings,
    actions: list[Action],
) -> None:
    usage = margin_usage(mp, mark, pnl)
    if usage is None:
        return
    m = settings.monitor
    p = mp.position
    if usage >= m.margin_reduce_usage:
        actions.append(
            ReducePosition(
                position_id=p.position_id,
                symbol=p.symbol,
                quantity=p.quantity * m.reduce_fraction,
                rule=Rule.LIQUIDATION,
                reason=f"maintenance margin usage {pct(usage)} reached "
                f"{pct(m.margin_reduce_usage)}; reducing by {pct(m.reduce_fraction)}",
            )
        )
    elif usage >= m.margin_alert_usage:
        actions.append(
            Alert(
                rule=Rule.LIQUIDATION,
                reason=f"maintenance margin usage {pct(usage)} reached {pct(m.margin_alert_usage)}",
                position_id=p.position_id,
                symbol=p.symbol,
                measured=pct(usage),
                limit=pct(m.margin_alert_usage),
            )
        )


def _move_stop(
    mp: MonitoredPosition,
    long: bool,
    mark: Decimal,
    best: Decimal,
    settings: RiskSettings,
    actions: list[Action],
) -> None:
    m = settings.monitor
    entry = mp.entry
    move = (mark - entry) if long else (entry - mark)
    if move < m.breakeven_after_r * mp.one_r:
        return
    p = mp.position
    profit_r = move / mp.one_r
    if mp.best_price is not None:
        best = max(best, mp.best_price) if long else min(best, mp.best_price)
    offset = entry * m.breakeven_offset_fraction
    target = entry + offset if long else entry - offset
    trailing = False
    if profit_r >= m.trail_after_r and mp.atr is not None:
        distance = mp.atr * m.trail_atr_multiple
        trail = best - distance if long else best + distance
        if (trail > target) if long else (trail < target):
            target, trailing = trail, True
    if mp.price_tick is not None:
        target = round_to_tick(target, mp.price_tick, up=not long)
    current = mp.stop
    tighter = target > current if long else target < current
    protective = target < mark if long else target > mark
    if tighter and protective and target > 0:
        # The reason is formatted only for a move that is made.
        if trailing:
            atr = mp.atr
            assert atr is not None
            rule = Rule.TRAILING_STOP
            why = f"ATR trail {show(m.trail_atr_multiple)}x{show(atr)} after {profit_r:.2f} R"
        else:
            rule, why = Rule.BREAKEVEN, f"breakeven after {profit_r:.2f} R"
        actions.append(
            MoveStop(
                position_id=p.position_id,
                symbol=p.symbol,
                old_stop=current,
                new_stop=target,
                rule=rule.value,
                reason=why,
            )
        )
