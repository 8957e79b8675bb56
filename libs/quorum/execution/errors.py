"""Execution errors, under the project's one hierarchy (``quorum.errors``).

The class decides what the caller does: ``BrokerTransient`` / ``BrokerRateLimited`` may be
retried for idempotent requests, ``OrderStatusUnknown`` (and its ``DuplicateClientOrderId``)
is resolved by asking the venue, ``OrderRejected`` is final, ``OrderNotFound`` is a fact
the resolver uses. Nothing here means "rejected" unless the venue said so.
"""

from __future__ import annotations

from quorum.errors import (
    BrokerError,
    BrokerRateLimited,
    BrokerTransient,
    OrderStatusUnknown,
    QuorumError,
)

__all__ = [
    "CircuitOpen",
    "DuplicateClientOrderId",
    "OrderNotFound",
    "OrderRejected",
    "PositionsNotReported",
    "TradingBlocked",
    "VenueRateLimited",
]


class OrderRejected(BrokerError):
    """The venue definitively refused the order (bad size, funds, filters): it does not exist."""


class OrderNotFound(BrokerError):
    """The venue has no order under this client id (or it is not yet visible)."""


class DuplicateClientOrderId(OrderStatusUnknown):
    """The venue already holds an open order with this client id: look it up, never resend."""


class VenueRateLimited(BrokerRateLimited):
    """429 / rate limit: ``retry_after`` is the pause in seconds the venue asked for, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CircuitOpen(BrokerTransient):
    """The venue's circuit breaker is open: nothing was sent; try again after it half-opens."""


class PositionsNotReported(BrokerError):
    """The venue keeps no positions (a spot account): reconcile balances only."""


class TradingBlocked(QuorumError):
    """Trading is blocked (start-up reconciliation pending, kill switch, disabled strategy)."""
