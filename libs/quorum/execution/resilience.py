"""A circuit breaker per venue, and retries for idempotent broker requests only.

:class:`GuardedBroker` wraps any :class:`~quorum.ports.Broker`:

- every request first asks the venue's :class:`CircuitBreaker`; while it is open nothing
  is sent (:class:`~quorum.execution.errors.CircuitOpen`); after ``reset_timeout_s`` one
  probe goes through (half-open) and its outcome closes or re-opens the breaker;
- idempotent requests (lookups, listings, cancels, balances, positions) are retried on
  ``BrokerTransient`` / ``BrokerRateLimited`` with exponential backoff and full jitter
  (tenacity), waiting at least the venue's ``Retry-After``;
- ``submit`` is never retried: its failures go back to the caller, which marks the order
  unknown and resolves it by asking the venue.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from quorum.clock import Clock
from quorum.errors import BrokerRateLimited, BrokerTransient, OrderStatusUnknown
from quorum.execution.errors import CircuitOpen, DuplicateClientOrderId
from quorum.execution.venues import VenueCapabilities, capabilities_for
from quorum.ports import Broker, BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; half-opens after
    ``reset_timeout_s`` to let one probe through."""

    def __init__(
        self, name: str, clock: Clock, failure_threshold: int = 5, reset_timeout_s: float = 2.0
    ) -> None:
        if failure_threshold < 1 or reset_timeout_s <= 0:
            raise ValueError(
                "circuit breaker: failure_threshold must be >= 1 and reset_timeout_s > 0 "
                f"(got {failure_threshold}, {reset_timeout_s})"
            )
        self.name = name
        self._clock = clock
        self._threshold = failure_threshold
        self._reset = reset_timeout_s
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self.openings = 0

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def _maybe_half_open(self) -> None:
        elapsed = self._clock.monotonic() - self._opened_at
        if self._state is BreakerState.OPEN and elapsed >= self._reset:
            self._state = BreakerState.HALF_OPEN
            self._probing = False

    def allow(self) -> None:
        """Raise :class:`CircuitOpen` unless a request may be sent now."""
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return
            wait = max(0.0, self._reset - (self._clock.monotonic() - self._opened_at))
        raise CircuitOpen(
            f"venue {self.name}: circuit breaker is {self._state}; nothing sent "
            f"(expected the venue back; next probe in {wait:.2f} s)"
        )

    def record_success(self) -> None:
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                if self._state is not BreakerState.OPEN:
                    self.openings += 1
                self._state = BreakerState.OPEN
                self._opened_at = self._clock.monotonic()
                self._probing = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits U(0, min(cap, base·2^(n-1)))."""

    max_attempts: int = 4
    base_delay_s: float = 0.05
    max_delay_s: float = 2.0


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, CircuitOpen):
        return False
    return isinstance(error, BrokerTransient | BrokerRateLimited)


def _counts_as_failure(error: BaseException) -> bool:
    if isinstance(error, DuplicateClientOrderId | CircuitOpen):
        return False
    return isinstance(error, BrokerTransient | BrokerRateLimited | OrderStatusUnknown)


class GuardedBroker:
    """A broker behind its venue's circuit breaker, with retries for idempotent calls."""

    def __init__(
        self,
        inner: Broker,
        clock: Clock,
        *,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.inner = inner
        self.breaker = breaker or CircuitBreaker(inner.name, clock)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def recv_window_s(self) -> float:
        return self.inner.recv_window_s

    @property
    def capabilities(self) -> VenueCapabilities:
        """The broker's own (``capabilities``), else the table's for its name."""
        own = getattr(self.inner, "capabilities", None)
        if isinstance(own, VenueCapabilities):
            return own
        return capabilities_for(self.inner.name, recv_window_s=self.inner.recv_window_s)

    @property
    def clock_offset_s(self) -> float:
        """Venue clock minus ours, as far as it shifts the venue's receive-window check
        (``server_offset_s`` of the broker; 0 when it has none or shares our clock)."""
        offset = getattr(self.inner, "server_offset_s", 0.0)
        return float(offset) if isinstance(offset, int | float) else 0.0

    def _once(self, fn: Callable[[], T]) -> T:
        self.breaker.allow()
        try:
            result = fn()
        except Exception as exc:
            if _counts_as_failure(exc):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            raise
        self.breaker.record_success()
        return result

    def _wait(self, state: RetryCallState) -> float:
        policy = self._retry
        cap = min(policy.max_delay_s, policy.base_delay_s * 2 ** (state.attempt_number - 1))
        delay = self._rng.uniform(0, cap)
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float):
            delay = max(delay, float(retry_after))
        return delay

    def _idempotent(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self._retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            sleep=self._sleep,
            reraise=True,
        )
        result: T = retrying(self._once, fn)
        return result

    # -- the Broker port -----------------------------------------------------------------

    def submit(self, request: OrderRequest) -> BrokerOrder:
        return self._once(lambda: self.inner.submit(request))

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder:
        return self._idempotent(
            lambda: self.inner.fetch_order_by_client_id(symbol, client_order_id)
        )

    def fetch_open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        return self._idempotent(lambda: self.inner.fetch_open_orders(symbol))

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]:
        return self._idempotent(lambda: self.inner.fetch_my_trades(symbol, since))

    def cancel(self, symbol: str, client_order_id: str) -> BrokerOrder:
        return self._idempotent(lambda: self.inner.cancel(symbol, client_order_id))

    def fetch_balance(self) -> dict[str, Decimal]:
        return self._idempotent(self.inner.fetch_balance)

    def fetch_positions(self) -> list[BrokerPosition]:
        return self._idempotent(self.inner.fetch_positions)
