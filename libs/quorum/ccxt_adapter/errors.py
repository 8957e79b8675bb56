"""ccxt exceptions translated into Quorum's hierarchy at the adapter edge: both tables.

The class of the translated error decides what the caller does (freqtrade's
``exceptions.py`` + ``exchange/common.py`` is the model). The error classes themselves
live in :mod:`quorum.errors`; this module is the only one that knows ccxt's classes, and
is imported only by the two ccxt adapters (``quorum.market.ccxt_source`` and
``quorum.execution.ccxt_broker``), so nothing else loads ccxt.

Market data (:func:`translate_ccxt_error`)
------------------------------------------

==========================================  ==========================  ===============
ccxt exception (checked in this order)      Quorum error                behaviour
==========================================  ==========================  ===============
BadSymbol                                   UnknownMarketSymbol         stop
AuthenticationError, PermissionDenied, …    MarketDataAuthFailed        stop (config)
RateLimitExceeded, DDoSProtection           MarketDataRateLimited       back off hard
NetworkError (RequestTimeout,               MarketDataUnavailable       retry w/ backoff
ExchangeNotAvailable, OnMaintenance, …)
OperationFailed (BadResponse, NullResponse) MarketDataUnavailable       retry w/ backoff
any other ccxt error (ExchangeError, …)     MarketDataRefused           stop
==========================================  ==========================  ===============

Order matters: in ccxt ``RateLimitExceeded`` and ``DDoSProtection`` are
``NetworkError`` subclasses, ``PermissionDenied`` is an ``AuthenticationError``
and ``BadSymbol`` is a ``BadRequest`` (an ``ExchangeError``). Binance answers
HTTP 418 (IP ban) *and* 429 with ``DDoSProtection`` (``binance.handle_errors``),
other venues use ``RateLimitExceeded`` for 429.

Orders (:func:`translate_order_error`)
--------------------------------------

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

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

import ccxt

from quorum.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerTransient,
    DuplicateClientOrderId,
    MarketDataAuthFailed,
    MarketDataError,
    MarketDataRateLimited,
    MarketDataRefused,
    MarketDataUnavailable,
    OrderNotFound,
    OrderRejected,
    OrderStatusUnknown,
    UnknownMarketSymbol,
    VenueRateLimited,
)

__all__ = [
    "TRANSLATIONS",
    "retry_after_seconds",
    "translate_ccxt_error",
    "translate_order_error",
]

_MAX_DETAIL = 300


TRANSLATIONS: tuple[tuple[type[Exception], type[MarketDataError]], ...] = (
    (ccxt.BadSymbol, UnknownMarketSymbol),
    (ccxt.AuthenticationError, MarketDataAuthFailed),
    (ccxt.RateLimitExceeded, MarketDataRateLimited),
    (ccxt.DDoSProtection, MarketDataRateLimited),
    (ccxt.NetworkError, MarketDataUnavailable),
    (ccxt.OperationFailed, MarketDataUnavailable),
    (ccxt.BaseError, MarketDataRefused),
)
"""ccxt exception class → Quorum class, most specific first; the first match wins."""


def translate_ccxt_error(
    error: Exception,
    *,
    exchange_id: str,
    context: str,
    symbol: str | None = None,
    retry_after: float | None = None,
) -> MarketDataError:
    """Map a ccxt exception onto a :class:`MarketDataError` subclass.

    ``context`` names the request that failed (``binance fetch_ohlcv(BTC/USDT, 1h, …)``);
    ``retry_after`` is kept only on :class:`MarketDataRateLimited`. Errors that are
    not ccxt's are refused as :class:`MarketDataRefused` (callers translate only ccxt's).
    """
    target: type[MarketDataError] = MarketDataRefused
    for source, candidate in TRANSLATIONS:
        if isinstance(error, source):
            target = candidate
            break
    detail = f"[{type(error).__name__}: {_shorten(str(error))}]"
    if target is UnknownMarketSymbol:
        reason = (
            f"symbol {symbol!r} is not listed on {exchange_id}; "
            "expected a symbol from the exchange's markets"
        )
    elif target is MarketDataAuthFailed:
        reason = f"{exchange_id} refused the credentials or permissions; check the API key config"
    elif target is MarketDataRateLimited:
        wait = "" if retry_after is None else f", Retry-After {retry_after:g} s"
        reason = f"rate limited by {exchange_id}{wait}; expected to back off"
    elif target is MarketDataUnavailable:
        reason = f"{exchange_id} unreachable or failing; expected a reply to retry"
    else:
        reason = f"{exchange_id} refused the request"
    kept = retry_after if target is MarketDataRateLimited else None
    return target(f"{context}: {reason} {detail}", retry_after=kept)


def retry_after_seconds(headers: object, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), if any.

    ``headers`` is whatever the client kept (ccxt's ``last_response_headers``, a
    requests ``CaseInsensitiveDict``); ``now`` resolves an HTTP-date. Unparseable
    or absent values give ``None``.
    """
    if not isinstance(headers, Mapping):
        return None
    raw = next(
        (v for k, v in headers.items() if isinstance(k, str) and k.lower() == "retry-after"),
        None,
    )
    if raw is None:
        return None
    text = str(raw).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"


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
