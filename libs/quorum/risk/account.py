"""Account rules as pre-trade gates: each returns a RuleCheck naming value and limit.

Daily limits are shares of the equity at the start of the trading day
(``RulesState.day_start_equity``); the day ends at the configured local reset time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final

from quorum.domain import RuleCheck
from quorum.risk.money import ZERO, failed, passed, pct
from quorum.risk.rules import Rule
from quorum.risk.settings import AccountSettings
from quorum.risk.state import RulesState, count_in_window

# Passing checks that never vary: constants, built (and validated) once at import.
CAN_TRADE: Final = passed(Rule.ACCOUNT_CAN_TRADE, "can trade", "can trade")
NO_LOCKOUT: Final = passed(Rule.LOCKOUT, "none", "no active lockout")
NO_COOLDOWN: Final = passed(Rule.COOLDOWN, "none", "no cooldown")


def check_can_trade(state: RulesState) -> RuleCheck:
    if not state.account_can_trade:
        return failed(
            Rule.ACCOUNT_CAN_TRADE,
            "cannot trade",
            "can trade",
            "the exchange account cannot trade; positions are closed and entries locked",
        )
    return CAN_TRADE


def check_lockouts(state: RulesState, as_of: datetime) -> RuleCheck:
    for lock in state.lockouts:
        if lock.active(as_of):
            until = "manual release" if lock.until is None else lock.until.isoformat()
            return failed(
                Rule.LOCKOUT,
                f"locked by {lock.rule}",
                "no active lockout",
                f"entries locked by {lock.rule} until {until}: {lock.reason}",
            )
    return NO_LOCKOUT


def check_blocked_symbol(symbol: str, settings: AccountSettings) -> RuleCheck:
    if symbol in settings.blocked_symbols:
        return failed(Rule.BLOCKED_SYMBOL, symbol, "not blocked", f"{symbol} is blocked")
    return passed(Rule.BLOCKED_SYMBOL, symbol, "not blocked")


def session_open_check(symbol: str, settings: AccountSettings) -> RuleCheck:
    """The passing session check of ``symbol`` (the one :func:`check_session` returns
    whenever the session is open); it does not depend on the time."""
    session = settings.session_for(symbol)
    if session is None:
        return passed(Rule.SESSION, "24/7", "open")
    return passed(Rule.SESSION, "open", f"open ({session.timezone})")


def check_session(
    symbol: str, as_of: datetime, settings: AccountSettings, when_open: RuleCheck | None = None
) -> RuleCheck:
    """``when_open``: :func:`session_open_check` of ``symbol``, when the caller has it."""
    session = settings.session_for(symbol)
    if session is not None and not session.is_open(as_of):
        local = as_of.astimezone(session.tz).isoformat()
        return failed(
            Rule.SESSION,
            f"closed at {local}",
            f"open ({session.timezone})",
            f"{symbol} is outside its trading session at {local}",
        )
    return when_open if when_open is not None else session_open_check(symbol, settings)


def _loss_limit(rule: Rule, loss: Decimal, limit: Decimal | None, what: str) -> RuleCheck:
    """A loss as a fraction of start equity against an optional limit (None = off)."""
    if limit is None:
        return passed(rule, "off", "off")
    if loss > limit:
        return failed(
            rule, pct(loss), pct(limit), f"{what} {pct(loss)} of start equity exceeds {pct(limit)}"
        )
    return passed(rule, pct(loss), pct(limit))


def check_daily_realized_loss(state: RulesState, settings: AccountSettings) -> RuleCheck:
    loss = max(-state.realized_pnl_today, ZERO) / state.day_start_equity
    return _loss_limit(
        Rule.DAILY_REALIZED_LOSS, loss, settings.daily_realized_loss_fraction, "realized loss today"
    )


def check_daily_unrealized_loss(
    unrealized: Decimal, state: RulesState, settings: AccountSettings
) -> RuleCheck:
    """``unrealized``: the portfolio's total floating P&L."""
    loss = max(-unrealized, ZERO) / state.day_start_equity
    return _loss_limit(
        Rule.DAILY_UNREALIZED_LOSS, loss, settings.daily_unrealized_loss_fraction, "floating loss"
    )


def check_profit_target(state: RulesState, settings: AccountSettings) -> RuleCheck:
    fraction = settings.profit_target_fraction
    if fraction is None:
        return passed(Rule.PROFIT_TARGET, "off", "off")
    gain = state.realized_pnl_today / state.day_start_equity
    if gain > fraction:
        return failed(
            Rule.PROFIT_TARGET,
            pct(gain),
            pct(fraction),
            f"profit target reached: {pct(gain)} today > {pct(fraction)}; locked until reset",
        )
    return passed(Rule.PROFIT_TARGET, pct(gain), pct(fraction))


def trades_in_window(state: RulesState, as_of: datetime, settings: AccountSettings) -> int:
    return count_in_window(state.trade_times, as_of, settings.trades_window)


def check_max_trades(state: RulesState, as_of: datetime, settings: AccountSettings) -> RuleCheck:
    limit = settings.max_trades
    if limit is None:
        return passed(Rule.MAX_TRADES, "off", "off")
    count = trades_in_window(state, as_of, settings) + 1
    if count > limit:
        return failed(
            Rule.MAX_TRADES,
            str(count),
            str(limit),
            f"this would be trade {count} in {settings.trades_window}; at most {limit}",
        )
    return passed(Rule.MAX_TRADES, str(count), str(limit))


def check_cooldown(state: RulesState, as_of: datetime) -> RuleCheck:
    until = state.cooldown_until
    if until is not None and as_of < until:
        return failed(
            Rule.COOLDOWN,
            f"cooling down until {until.isoformat()}",
            "no cooldown",
            f"cooldown after a loss until {until.isoformat()}",
        )
    return NO_COOLDOWN
