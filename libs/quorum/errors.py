"""One exception hierarchy for the whole project.

Every error message names the field or row, the rule, and what was expected.
Classes decide what a caller does: ``Retryable`` errors may be retried with
backoff, ``BackOff`` errors ask for a longer pause, everything else stops the
operation. Vendor exceptions are translated into these at the adapter edge.
"""

from __future__ import annotations

from typing import Self


class QuorumError(Exception):
    """Base class of every error raised by Quorum."""


class Retryable(QuorumError):
    """Marker: the operation may succeed if retried after a short backoff."""


class BackOff(Retryable):
    """Marker: retry only after a long pause (rate limit, venue outage)."""


class ValidationFailed(QuorumError):
    """A value broke a rule. Carries the field, the rule and the offending value."""

    def __init__(self, field: str, rule: str, value: object | None = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        shown = "" if value is None else f" (got {value!r})"
        super().__init__(f"{field}: {rule}{shown}")


class ConfigError(QuorumError):
    """Configuration is missing, malformed, or refused (e.g. live without confirmation)."""


class SecretNotFound(ConfigError):
    """A secret reference could not be resolved. The message names the reference, never a value."""


class DataQualityError(QuorumError):
    """Market data failed a quality gate; nothing was written."""


class IllegalTransition(QuorumError):
    """A state machine was asked to move along an edge it does not have."""

    def __init__(self, machine: str, current: str, target: str) -> None:
        self.machine = machine
        self.current = current
        self.target = target
        super().__init__(f"{machine}: illegal transition {current} -> {target}")


class BrokerError(QuorumError):
    """The venue refused or failed an operation; subclasses decide retry behaviour."""


class BrokerTransient(BrokerError, Retryable):
    """Network blip or 5xx on an idempotent request."""


class BrokerRateLimited(BrokerError, BackOff):
    """The venue asked us to slow down (429, rate limit exceeded)."""


class OrderStatusUnknown(BrokerError):
    """A submit's outcome is unknown: resolve by querying the venue, never by blind resend."""


# Order errors: the class decides what the executor does (see quorum.execution).


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


class BrokerAuthFailed(OrderRejected, ConfigError):
    """The venue refused the credentials or permissions: fix the configuration."""


# Market-data errors: the class decides whether the loader retries, backs off or stops.


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


class JournalIntegrityError(QuorumError):
    """The audit journal's hash chain or checkpoints do not verify."""


class BudgetExceeded(QuorumError):
    """An LLM call would pass a configured spend cap."""


class ClockError(QuorumError):
    """Time was used wrongly: naive datetime, replay clock moved backwards."""
