"""Execution: approved intents become orders exactly once (see docs/ARCHITECTURE.md).

``ExecutionService`` stores intents in an outbox (unique derived client id), sends them
through a :class:`~quorum.ports.Broker` (the paper exchange by default, ccxt when
``trading.mode`` is live), resolves unknown outcomes by asking the venue, records fills
and positions, reconciles with the venue, and holds the kill switch and the strategy
throttle.
"""

from quorum.execution.controls import TradingStateConflict, strategy_switch
from quorum.execution.doubt import UNKNOWN_RULE
from quorum.execution.errors import (
    CircuitOpen,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    PositionsNotReported,
    TradingBlocked,
    VenueRateLimited,
)
from quorum.execution.exposure import FLATTEN_RULE, UnexplainedExposure, unexplained_excess
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
from quorum.execution.venues import CAPABILITIES, VenueCapabilities, capabilities_for

__all__ = [
    "CAPABILITIES",
    "FLATTEN_RULE",
    "LIVE",
    "ORIGIN_EXTERNAL",
    "ORIGIN_INTENT",
    "PAPER",
    "UNKNOWN_RULE",
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
    "TradingStateConflict",
    "UnexplainedExposure",
    "VenueCapabilities",
    "VenueRateLimited",
    "apply_fill",
    "balance_drift",
    "capabilities_for",
    "finalize_exit",
    "missing_trades",
    "orders_to_adopt",
    "position_drift",
    "strategy_switch",
    "transition_path",
    "unexplained_excess",
    "venue_state",
]
