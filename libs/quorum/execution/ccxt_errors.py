"""ccxt exceptions translated into Quorum's order errors at the broker edge.

The translation depends on whether the request placed an order: a submit whose reply is
missing or garbled may still have created the order, so it is *unknown*, never retried
blindly and never "rejected". Checked in this order (ccxt's classes nest:
``DuplicateOrderId`` and ``OrderNotFound`` are ``InvalidOrder``s, ``RateLimitExceeded``
and ``RequestTimeout`` are ``NetworkError``s, ``BadResponse`` is an ``OperationFailed``):

=====================================================  =========================  ================
ccxt exception                                         on submit                  on other requests
=====================================================  =========================  ================
DuplicateOrderId, InvalidOrder "Duplicate order"       DuplicateClientOrderId     (same)
OrderNotFound                                          OrderNotFound              OrderNotFound
AuthenticationError, PermissionDenied                  BrokerAuthFailed           BrokerAuthFailed
RateLimitExceeded, DDoSProtection (429/418)            VenueRateLimited           VenueRateLimited
NetworkError (RequestTimeout, ExchangeNotAvailable…)   OrderStatusUnknown         BrokerTransient
OperationFailed (BadResponse: Binance -1006/-1007)     OrderStatusUnknown         BrokerTransient
InvalidOrder, InsufficientFunds, BadRequest,           OrderRejected              OrderRejected
OperationRejected, NotSupported
any other ccxt error (plain ExchangeError)             OrderStatusUnknown         BrokerError
=====================================================  =========================  ================

A 429 refuses the request before it is processed, so even a submit that got one did not
place an order; the executor still resolves it by lookup, which costs one query.
"""

from __future__ import annotations

import ccxt

from quorum.errors import BrokerError, BrokerTransient, ConfigError, OrderStatusUnknown
from quorum.execution.errors import (
    DuplicateClientOrderId,
    OrderNotFound,
    OrderRejected,
    VenueRateLimited,
)

_MAX_DETAIL = 300


class BrokerAuthFailed(OrderRejected, ConfigError):
    """The venue refused the credentials or permissions: fix the configuration."""


_DEFINITIVE = (
    ccxt.InvalidOrder,
    ccxt.InsufficientFunds,
    ccxt.BadRequest,
    ccxt.OperationRejected,
    ccxt.NotSupported,
)


def translate_order_error(
    error: Exception,
    *,
    context: str,
    submit: bool,
    retry_after: float | None = None,
) -> BrokerError:
    """The Quorum error for a ccxt exception raised by ``context`` (e.g. ``binance submit(q…)``)."""
    detail = " ".join(str(error).split())
    if len(detail) > _MAX_DETAIL:
        detail = detail[: _MAX_DETAIL - 1] + "…"
    shown = f"[{type(error).__name__}: {detail}]"
    if isinstance(error, ccxt.DuplicateOrderId) or (
        isinstance(error, ccxt.InvalidOrder) and "duplicate order" in detail.lower()
    ):
        return DuplicateClientOrderId(
            f"{context}: the venue already has an open order with this client id; "
            f"expected a lookup, not a resend {shown}"
        )
    if isinstance(error, ccxt.OrderNotFound):
        return OrderNotFound(f"{context}: the venue has no such order {shown}")
    if isinstance(error, ccxt.AuthenticationError):
        return BrokerAuthFailed(f"{context}: credentials or permissions refused {shown}")
    if isinstance(error, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        wait = "" if retry_after is None else f", Retry-After {retry_after:g} s"
        return VenueRateLimited(
            f"{context}: rate limited{wait}; expected to back off {shown}", retry_after
        )
    if isinstance(error, ccxt.OperationFailed):
        if submit:
            return OrderStatusUnknown(
                f"{context}: no usable reply; the order may exist, resolve by client id {shown}"
            )
        return BrokerTransient(f"{context}: venue unreachable or failing; retry {shown}")
    if isinstance(error, _DEFINITIVE):
        return OrderRejected(f"{context}: refused by the venue {shown}")
    if submit:
        return OrderStatusUnknown(
            f"{context}: unexpected venue error; the order may exist, resolve by client id {shown}"
        )
    return BrokerError(f"{context}: venue error {shown}")
