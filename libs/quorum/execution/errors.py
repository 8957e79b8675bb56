"""Execution errors, under the project's one hierarchy (``quorum.errors``, where they are
defined so the ccxt adapter's translation table can raise them without importing execution).

The class decides what the caller does: ``BrokerTransient`` / ``BrokerRateLimited`` may be
retried for idempotent requests, ``OrderStatusUnknown`` (and its ``DuplicateClientOrderId``)
is resolved by asking the venue, ``OrderRejected`` is final, ``OrderNotFound`` is a fact
the resolver uses. Nothing here means "rejected" unless the venue said so.
"""

from quorum.errors import (
    BrokerAuthFailed,
    CircuitOpen,
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    PositionsNotReported,
    TradingBlocked,
    VenueRateLimited,
)

__all__ = [
    "BrokerAuthFailed",
    "CircuitOpen",
    "DuplicateClientOrderId",
    "OrderNotFound",
    "OrderRejected",
    "PositionsNotReported",
    "TradingBlocked",
    "VenueRateLimited",
]
