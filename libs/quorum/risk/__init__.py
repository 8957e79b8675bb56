"""The risk gate and position monitor: pure functions over frozen values.

``evaluate(signal, portfolio, market, rules_state, as_of, settings) -> RiskDecision``
decides whether a Signal may trade and how big, against a portfolio snapshot prepared once
with ``prepare_portfolio(portfolio, settings)``; ``monitor(positions, quotes, rules_state,
as_of, settings) -> list[Action]`` watches open positions. No I/O and no clock reads:
time comes in as ``as_of``; state comes in as :class:`RulesState` and goes out through the
update functions (``record_order``, ``on_fill``, ``on_trade_closed``, ``mark_equity``,
``daily_reset``, ``manual_reset_safe_mode``, ``set_kill_switch``, ``apply_actions`` …),
each returning a :class:`StateUpdate` with the new state and the events to journal.

Every new or amended entry passes ``evaluate``; exits and protective orders pass
``evaluate_exit`` (allowed in SAFE_MODE and under the kill switch when risk-reducing);
only cancel / flatten bypass the gate.
"""

from quorum.risk.actions import (
    AccountTradingChanged,
    Action,
    Alert,
    ClosePosition,
    CooldownStarted,
    DailyReset,
    KillSwitchChanged,
    LockOut,
    LockoutEnded,
    LockoutStarted,
    MoveStop,
    ReducePosition,
    RiskEvent,
    SafeModeReset,
    SafeModeTripped,
    StateUpdate,
    TripSafeMode,
)
from quorum.risk.bookkeeping import mark_equity, on_fill, on_trade_closed, record_order
from quorum.risk.calendar import SessionHours, TradingSession
from quorum.risk.engine import evaluate
from quorum.risk.exits import evaluate_exit, is_risk_reducing
from quorum.risk.inputs import (
    AccountSnapshot,
    Exposure,
    MarketInfo,
    MonitoredPosition,
    Portfolio,
    TradeStats,
)
from quorum.risk.lifecycle import daily_reset, initial_state, refresh_state
from quorum.risk.monitor import margin_usage, monitor
from quorum.risk.prepared import PreparedPortfolio, prepare_portfolio
from quorum.risk.rules import BreachAction, Rule
from quorum.risk.settings import (
    AccountSettings,
    CooldownTier,
    DrawdownSettings,
    ExpectancySettings,
    MonitorSettings,
    PortfolioSettings,
    RiskSettings,
    SizingSettings,
    StopSettings,
    VenueSettings,
)
from quorum.risk.sizing import kelly_cap, kelly_fraction, risk_fraction
from quorum.risk.state import KillSwitch, Lockout, RulesState, SafeMode, SafeModeCause
from quorum.risk.stops import atr_stop
from quorum.risk.switches import (
    apply_actions,
    manual_reset_safe_mode,
    set_account_can_trade,
    set_kill_switch,
    trip_safe_mode,
    with_trading_state,
)
from quorum.risk.venue import entry_intent_id

__all__ = (
    "AccountSettings",
    "AccountSnapshot",
    "AccountTradingChanged",
    "Action",
    "Alert",
    "BreachAction",
    "ClosePosition",
    "CooldownStarted",
    "CooldownTier",
    "DailyReset",
    "DrawdownSettings",
    "ExpectancySettings",
    "Exposure",
    "KillSwitch",
    "KillSwitchChanged",
    "LockOut",
    "Lockout",
    "LockoutEnded",
    "LockoutStarted",
    "MarketInfo",
    "MonitorSettings",
    "MonitoredPosition",
    "MoveStop",
    "Portfolio",
    "PortfolioSettings",
    "PreparedPortfolio",
    "ReducePosition",
    "RiskEvent",
    "RiskSettings",
    "Rule",
    "RulesState",
    "SafeMode",
    "SafeModeCause",
    "SafeModeReset",
    "SafeModeTripped",
    "SessionHours",
    "SizingSettings",
    "StateUpdate",
    "StopSettings",
    "TradeStats",
    "TradingSession",
    "TripSafeMode",
    "VenueSettings",
    "apply_actions",
    "atr_stop",
    "daily_reset",
    "entry_intent_id",
    "evaluate",
    "evaluate_exit",
    "initial_state",
    "is_risk_reducing",
    "kelly_cap",
    "kelly_fraction",
    "manual_reset_safe_mode",
    "margin_usage",
    "mark_equity",
    "monitor",
    "on_fill",
    "on_trade_closed",
    "prepare_portfolio",
    "record_order",
    "refresh_state",
    "risk_fraction",
    "set_account_can_trade",
    "set_kill_switch",
    "trip_safe_mode",
    "with_trading_state",
)
