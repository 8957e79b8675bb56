"""The per-venue capability table and the deadline it gives the resend rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from tests.unit.execution.execution_kit import T0

from quorum.clock import ReplayClock
from quorum.execution import (
    CAPABILITIES,
    ExecutionSettings,
    GuardedBroker,
    InProcessPaperBroker,
    PaperSettings,
    PaperVenue,
    capabilities_for,
)
from quorum.execution.ccxt_broker import CcxtBroker
from quorum.execution.doubt import send_deadline

SETTINGS = ExecutionSettings(clock_skew_s=0.05, sign_allowance_s=10.0)


@pytest.mark.parametrize(
    ("venue", "conclusive"),
    [
        ("binance", True),
        ("binanceusdm", True),
        ("bybit", False),  # receive window, but ccxt's fetchOrder takes no client id
        ("okx", False),  # lookups by clOrdId, but ccxt sends no expTime
        ("kraken", False),  # neither: a nonce, and client ids map to integer userref
        ("coinbase", False),
        ("some_new_venue", False),  # not in the table: the safe default
    ],
)
def test_not_found_is_conclusive_only_with_a_receive_window_and_lookup_by_client_id(
    venue: str, conclusive: bool
) -> None:
    caps = capabilities_for(venue)
    assert caps.not_found_conclusive is conclusive
    if not conclusive:
        assert caps.why_inconclusive().startswith(f"venue {venue}: 'not found' is never")


def test_kraken_names_both_missing_capabilities() -> None:
    why = CAPABILITIES["kraken"].why_inconclusive()
    assert "no receive window" in why
    assert "cannot look orders up by our client id" in why


def test_overrides_apply_to_the_window_and_the_lag_only() -> None:
    caps = capabilities_for("binance", recv_window_s=1.0, lookup_lag_s=3.0)
    assert (caps.default_recv_window_s, caps.max_lookup_lag_s) == (1.0, 3.0)
    assert capabilities_for("kraken", recv_window_s=1.0).default_recv_window_s is None


def test_the_paper_venue_capabilities_follow_its_settings() -> None:
    clock = ReplayClock(T0)
    venue = PaperVenue(clock, PaperSettings(query_lag_s=2.0, enforce_recv_window=False))
    guarded = GuardedBroker(InProcessPaperBroker(venue), clock)

    assert guarded.capabilities.max_lookup_lag_s == 2.0
    assert guarded.capabilities.not_found_conclusive is False
    venue.settings = PaperSettings(query_lag_s=0.5)
    assert guarded.capabilities.not_found_conclusive is True


@dataclass
class TimedExchange:
    """A ccxt exchange with a server clock ``skew_ms`` off ours."""

    clock: ReplayClock
    skew_ms: int
    has: dict[str, Any] = field(default_factory=lambda: {"fetchTime": True})
    options: dict[str, Any] = field(default_factory=dict)
    calls: int = 0

    def fetch_time(self) -> int:
        self.calls += 1
        return int(self.clock.now().timestamp() * 1000) + self.skew_ms


def test_a_venue_clock_behind_ours_moves_the_deadline_later() -> None:
    clock = ReplayClock(T0)
    exchange = TimedExchange(clock, skew_ms=-2000)
    broker = CcxtBroker("binance", clock, exchange=exchange, recv_window_s=1.0, time_sync_s=60)
    guarded = GuardedBroker(broker, clock)

    deadline = send_deadline(SETTINGS, guarded, T0)
    clock.advance(timedelta(seconds=30))
    offsets = [guarded.clock_offset_s]  # within time_sync_s: not measured again
    clock.advance(timedelta(seconds=31))
    offsets.append(guarded.clock_offset_s)  # measured again

    assert offsets == [pytest.approx(-2.0), pytest.approx(-2.0)]
    assert deadline == T0 + timedelta(seconds=1.0 + 0.05 + 2.0)
    assert exchange.calls == 2


def test_where_ccxt_stamps_the_request_the_deadline_allows_for_a_late_signature() -> None:
    clock = ReplayClock(T0)
    exchange = TimedExchange(clock, skew_ms=0)
    guarded = GuardedBroker(CcxtBroker("bybit", clock, exchange=exchange), clock)

    in_flight = send_deadline(SETTINGS, guarded, T0)
    returned = send_deadline(SETTINGS, guarded, T0, returned_at=T0 + timedelta(seconds=3))

    assert guarded.recv_window_s == 5.0  # the table's default window for bybit
    assert in_flight == T0 + timedelta(seconds=10 + 5.0 + 0.05)
    assert returned == T0 + timedelta(seconds=3 + 5.0 + 0.05)
