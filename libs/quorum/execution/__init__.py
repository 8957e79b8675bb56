"""Execution: approved intents become orders exactly once (see docs/ARCHITECTURE.md).

``ExecutionService`` stores intents in an outbox (unique derived client id), sends them
through a :class:`~quorum.ports.Broker` (the paper exchange by default, ccxt when
``trading.mode`` is live), resolves unknown outcomes by asking the venue, records fills
and positions, reconciles with the venue, and holds the kill switch and the strategy
throttle. ``python -m quorum.execution.worker`` runs the outbox loop.
"""

from typing import TYPE_CHECKING

from quorum.lazy import attach

if TYPE_CHECKING:
    from quorum.execution.controls import KILL_SWITCH, strategy_switch
    from quorum.execution.errors import (
        CircuitOpen,
        DuplicateClientOrderId,
        OrderNotFound,
        OrderRejected,
        PositionsNotReported,
        TradingBlocked,
        VenueRateLimited,
    )
    from quorum.execution.paper import (
        Faults,
        FaultSettings,
        InProcessPaperBroker,
        PaperSettings,
        PaperVenue,
        ReplayVenue,
    )
    from quorum.execution.positions import ClosedTrade, NetPosition, apply_fill, finalize_exit
    from quorum.execution.reconcile import (
        ReconcileReport,
        balance_drift,
        missing_trades,
        orders_to_adopt,
        position_drift,
    )
    from quorum.execution.records import ORIGIN_EXTERNAL, ORIGIN_INTENT, WORKING_STATES, ExecOrder
    from quorum.execution.resilience import BreakerState, CircuitBreaker, GuardedBroker, RetryPolicy
    from quorum.execution.service import (
        LIVE,
        PAPER,
        ExecutionService,
        IntentOutcome,
        KillSwitchReport,
    )
    from quorum.execution.settings import ExecutionSettings, MarketLimits
    from quorum.execution.sync import transition_path, venue_state
else:
    __getattr__, __dir__ = attach(
        __name__,
        {
            "BreakerState": "resilience",
            "CircuitBreaker": "resilience",
            "CircuitOpen": "errors",
            "ClosedTrade": "positions",
            "DuplicateClientOrderId": "errors",
            "ExecOrder": "records",
            "ExecutionService": "service",
            "ExecutionSettings": "settings",
            "FaultSettings": "paper",
            "Faults": "paper",
            "GuardedBroker": "resilience",
            "InProcessPaperBroker": "paper",
            "IntentOutcome": "service",
            "KILL_SWITCH": "controls",
            "KillSwitchReport": "service",
            "LIVE": "service",
            "MarketLimits": "settings",
            "NetPosition": "positions",
            "ORIGIN_EXTERNAL": "records",
            "ORIGIN_INTENT": "records",
            "OrderNotFound": "errors",
            "OrderRejected": "errors",
            "PAPER": "service",
            "PaperSettings": "paper",
            "PaperVenue": "paper",
            "ReplayVenue": "paper",
            "PositionsNotReported": "errors",
            "ReconcileReport": "reconcile",
            "RetryPolicy": "resilience",
            "TradingBlocked": "errors",
            "VenueRateLimited": "errors",
            "WORKING_STATES": "records",
            "apply_fill": "positions",
            "balance_drift": "reconcile",
            "finalize_exit": "positions",
            "missing_trades": "reconcile",
            "orders_to_adopt": "reconcile",
            "position_drift": "reconcile",
            "strategy_switch": "controls",
            "transition_path": "sync",
            "venue_state": "sync",
        },
    )

__all__ = [
    "KILL_SWITCH",
    "LIVE",
    "ORIGIN_EXTERNAL",
    "ORIGIN_INTENT",
    "PAPER",
    "WORKING_STATES",
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "ClosedTrade",
    "DuplicateClientOrderId",
    "ExecOrder",
    "ExecutionService",
    "ExecutionSettings",
    "FaultSettings",
    "Faults",
    "GuardedBroker",
    "InProcessPaperBroker",
    "IntentOutcome",
    "KillSwitchReport",
    "MarketLimits",
    "NetPosition",
    "OrderNotFound",
    "OrderRejected",
    "PaperSettings",
    "PaperVenue",
    "PositionsNotReported",
    "ReconcileReport",
    "ReplayVenue",
    "RetryPolicy",
    "TradingBlocked",
    "VenueRateLimited",
    "apply_fill",
    "balance_drift",
    "finalize_exit",
    "missing_trades",
    "orders_to_adopt",
    "position_drift",
    "strategy_switch",
    "transition_path",
    "venue_state",
]
