"""Names of the risk rules and the actions a breach can trigger.

Every :class:`~quorum.domain.RuleCheck` the engine records carries one of these names,
so a journal reader (and a test) can tell exactly which rule decided.

Boundaries are uniform:

* a *limit* (a cap on size, exposure, loss or drawdown) is inclusive: a measured value
  equal to its limit passes, only a value beyond it breaches;
* a *count* limit (trades per window, orders per window) allows exactly that many;
* a streak trips on the N-th consecutive loss, and an alert/reduce threshold written
  "at X" fires when the measured value reaches X.

``BreachAction`` is part of the risk settings (``quorum.config.settings.risk``) and is
re-exported here.
"""

from __future__ import annotations

from enum import StrEnum

from quorum.config.settings.risk import BreachAction as BreachAction


class Rule(StrEnum):
    # Global gates, checked first.
    KILL_SWITCH = "venue.kill_switch"
    SAFE_MODE = "drawdown.safe_mode"
    DAILY_DRAWDOWN = "drawdown.daily"
    MONTHLY_DRAWDOWN = "drawdown.monthly"
    LOSS_STREAK = "drawdown.loss_streak"
    # Account rules with lockouts.
    ACCOUNT_CAN_TRADE = "account.can_trade"
    LOCKOUT = "account.lockout"
    BLOCKED_SYMBOL = "account.blocked_symbol"
    SESSION = "account.session"
    SESSION_CLOSE = "account.session_close"
    DAILY_REALIZED_LOSS = "account.daily_realized_loss"
    DAILY_UNREALIZED_LOSS = "account.daily_unrealized_loss"
    POSITION_UNREALIZED_LOSS = "account.position_unrealized_loss"
    PROFIT_TARGET = "account.profit_target"
    MAX_TRADES = "account.max_trades"
    COOLDOWN = "account.cooldown"
    UNPROTECTED_POSITION = "account.unprotected_position"
    # Venue-style order controls.
    DUPLICATE_INTENT = "venue.duplicate_intent"
    ORDER_RATE = "venue.order_rate"
    PRICE_COLLAR = "venue.price_collar"
    MAX_ORDER_QUANTITY = "venue.max_order_quantity"
    MAX_ORDER_NOTIONAL = "venue.max_order_notional"
    # Stop sanity and expectancy.
    STOP_DISTANCE = "stop.distance"
    TAKE_PROFIT = "stop.take_profit"
    REWARD_RISK = "stop.reward_risk"
    WORST_CASE_LOSS = "stop.worst_case_loss"
    EXPECTED_VALUE = "expectancy.net_ev"
    # Sizing.
    RISK_BUDGET = "sizing.risk_budget"
    KELLY = "sizing.kelly"
    MIN_AMOUNT = "sizing.min_amount"
    MIN_NOTIONAL = "sizing.min_notional"
    # Portfolio.
    LEVERAGE = "portfolio.leverage"
    POSITION_RISK = "portfolio.position_risk"
    POSITION_NOTIONAL = "portfolio.position_notional"
    CORRELATION = "portfolio.correlation"
    TOTAL_EXPOSURE = "portfolio.total_exposure"
    MARGIN = "portfolio.margin"
    # Exits and position management.
    RISK_REDUCING = "exit.risk_reducing"
    STOP_LOOSENED = "exit.stop_loosened"
    NO_QUOTE = "monitor.no_quote"
    STOP_LOSS_HIT = "monitor.stop_loss"
    TAKE_PROFIT_HIT = "monitor.take_profit"
    TIME_EXIT = "monitor.time_exit"
    BREAKEVEN = "monitor.breakeven"
    TRAILING_STOP = "monitor.trailing_stop"
    LIQUIDATION = "monitor.liquidation"
