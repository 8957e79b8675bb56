"""ccxt exceptions translated into Quorum's hierarchy at the adapter edge.

The class of the translated error decides what the caller does (freqtrade's
``exceptions.py`` + ``exchange/common.py`` is the model):

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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Self

import ccxt

from quorum.errors import BackOff, ConfigError, QuorumError, Retryable

__all__ = [
    "TRANSLATIONS",
    "MarketDataAuthFailed",
    "MarketDataError",
    "MarketDataRateLimited",
    "MarketDataRefused",
    "MarketDataUnavailable",
    "UnknownMarketSymbol",
    "retry_after_seconds",
    "translate_ccxt_error",
]

_MAX_DETAIL = 300


class MarketDataError(QuorumError):
    """A market-data venue failed or refused a request; subclasses decide retry behaviour.

    ``attempts`` is how many times the request was tried; ``retry_after`` the
    pause in seconds the venue asked for (``Retry-After``), when it said so.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.attempts = attempts

    def gave_up(self, attempts: int, why: str = "") -> Self:
        """The same error, re-issued after the retry loop stopped at ``attempts`` tries."""
        plural = "attempt" if attempts == 1 else "attempts"
        note = f" ({why})" if why else ""
        return type(self)(
            f"{self.message}; gave up after {attempts} {plural}{note}",
            retry_after=self.retry_after,
            attempts=attempts,
        )


class MarketDataUnavailable(MarketDataError, Retryable):
    """Network failure, timeout, 5xx or a garbled reply: retry with exponential backoff."""


class MarketDataRateLimited(MarketDataError, BackOff):
    """The venue asked us to slow down (429, 418 ban, DDoS protection): back off hard."""


class MarketDataRefused(MarketDataError):
    """The venue refused the request for a reason retrying will not fix."""


class UnknownMarketSymbol(MarketDataRefused):
    """The symbol is not listed on the venue (ccxt ``BadSymbol``)."""


class MarketDataAuthFailed(MarketDataError, ConfigError):
    """Credentials or permissions were refused: fix the configuration, do not retry."""


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
