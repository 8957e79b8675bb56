"""Circuit breaker per venue and retries for idempotent requests only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.unit.execution.execution_kit import T0

from quorum.clock import ReplayClock
from quorum.errors import BrokerTransient, OrderStatusUnknown
from quorum.execution import (
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
    GuardedBroker,
    RetryPolicy,
    VenueRateLimited,
)
from quorum.ports import BrokerOrder, OrderRequest


class Scripted:
    """A broker whose calls fail with the scripted errors, then succeed."""

    name = "scripted"
    recv_window_s = 1.0

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def _next(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        self._next()
        raise AssertionError("not reached in these tests")

    def fetch_balance(self) -> dict[str, Decimal]:
        self._next()
        return {"USDT": Decimal(1)}


def _guarded(
    inner: Scripted, sleeps: list[float], clock: ReplayClock | None = None
) -> GuardedBroker:
    clock = clock or ReplayClock(T0)
    return GuardedBroker(
        inner,  # type: ignore[arg-type]
        clock,
        breaker=CircuitBreaker("scripted", clock, failure_threshold=3, reset_timeout_s=1.0),
        retry=RetryPolicy(max_attempts=4, base_delay_s=0.1, max_delay_s=1.0),
        sleep=sleeps.append,
    )


def test_idempotent_requests_retry_transient_errors_with_capped_exponential_jitter() -> None:
    sleeps: list[float] = []
    inner = Scripted(BrokerTransient("503"), BrokerTransient("reset"))

    assert _guarded(inner, sleeps).fetch_balance() == {"USDT": Decimal(1)}
    assert inner.calls == 3
    assert 0 <= sleeps[0] <= 0.1
    assert 0 <= sleeps[1] <= 0.2


def test_a_429_waits_at_least_the_retry_after() -> None:
    sleeps: list[float] = []
    inner = Scripted(VenueRateLimited("429", retry_after=2.5))

    _guarded(inner, sleeps).fetch_balance()

    assert sleeps == [2.5]


def test_submit_is_never_retried() -> None:
    sleeps: list[float] = []
    inner = Scripted(OrderStatusUnknown("timeout"))
    request = OrderRequest(
        client_order_id="q" * 32,
        symbol="BTC/USDT",
        side="buy",  # type: ignore[arg-type]
        order_type="market",  # type: ignore[arg-type]
        quantity=Decimal(1),
        sent_at=T0,
    )
    with pytest.raises(OrderStatusUnknown):
        _guarded(inner, sleeps).submit(request)
    assert inner.calls == 1
    assert sleeps == []


def test_the_breaker_opens_on_an_outage_and_half_opens_to_probe() -> None:
    clock = ReplayClock(T0)
    sleeps: list[float] = []
    inner = Scripted(*[BrokerTransient("down")] * 5)
    broker = _guarded(inner, sleeps, clock)

    with pytest.raises(CircuitOpen):
        broker.fetch_balance()  # 3 failures open it; the 4th attempt is refused locally
    calls = inner.calls
    with pytest.raises(CircuitOpen):
        broker.fetch_balance()
    assert inner.calls == calls == 3
    assert broker.breaker.state is BreakerState.OPEN
    clock.advance(timedelta(seconds=1))
    assert broker.breaker.state is BreakerState.HALF_OPEN
    inner.errors.clear()
    assert broker.fetch_balance() == {"USDT": Decimal(1)}
    assert broker.breaker.state is BreakerState.CLOSED


def test_a_failed_probe_re_opens_the_breaker() -> None:
    clock = ReplayClock(T0)
    breaker = CircuitBreaker("v", clock, failure_threshold=1, reset_timeout_s=1.0)
    breaker.record_failure()
    clock.advance(timedelta(seconds=1))
    breaker.allow()
    with pytest.raises(CircuitOpen):
        breaker.allow()  # only one probe at a time
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
