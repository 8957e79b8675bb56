"""One exception hierarchy for the whole project.

Every error message names the field or row, the rule, and what was expected.
Classes decide what a caller does: ``Retryable`` errors may be retried with
backoff, ``BackOff`` errors ask for a longer pause, everything else stops the
operation. Vendor exceptions are translated into these at the adapter edge.
"""

from __future__ import annotations


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


class JournalIntegrityError(QuorumError):
    """The audit journal's hash chain or checkpoints do not verify."""


class BudgetExceeded(QuorumError):
    """An LLM call would pass a configured spend cap."""


class ClockError(QuorumError):
    """Time was used wrongly: naive datetime, replay clock moved backwards."""
