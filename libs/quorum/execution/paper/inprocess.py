"""The default broker: the paper venue in this process, behind the same fault injection."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from quorum.errors import BrokerAuthFailed, BrokerTransient, OrderStatusUnknown
from quorum.execution.paper.faults import Faults
from quorum.execution.paper.matching import PaperVenue
from quorum.execution.venues import VenueCapabilities
from quorum.ports import BrokerOrder, BrokerPosition, BrokerTrade, OrderRequest


class InProcessPaperBroker:
    """A :class:`~quorum.ports.Broker` over a :class:`PaperVenue` in this process.

    Faults apply as over the wire: an outage refuses requests before the venue sees them
    (``BrokerTransient``); an ambiguous reply is given *after* the venue accepted the
    order (``OrderStatusUnknown``); latency (before the venue) and a submit's reply delay
    (after it accepted) are slept through the injected ``sleep``.
    """

    def __init__(
        self,
        venue: PaperVenue,
        *,
        name: str = "paper",
        faults: Faults | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.venue = venue
        self.faults = faults or Faults()
        self._name = name
        self._sleep = sleep

    @property
    def name(self) -> str:
        return self._name

    @property
    def recv_window_s(self) -> float:
        return self.venue.settings.recv_window_s

    @property
    def capabilities(self) -> VenueCapabilities:
        """Follow the venue's settings: a receive window when it enforces one, lookups by
        client id, the venue's clock (ours), ``query_lag_s`` as the lookup lag."""
        return paper_capabilities(
            self._name, self.venue.settings.enforce_recv_window, self.venue.settings.query_lag_s
        )

    def _enter(self, what: str) -> None:
        if self.faults.down:
            raise BrokerTransient(f"{self._name} {what}: venue unavailable (503); nothing done")
        if self.faults.auth_failed:
            raise BrokerAuthFailed(
                f"{self._name} {what}: credentials or permissions refused (401); nothing done"
            )
        latency = self.faults.settings.latency_s
        if latency:
            self._sleep(latency)

    def submit(self, request: OrderRequest) -> BrokerOrder:
        self._enter(f"submit({request.client_order_id})")
        order = self.venue.submit(request)
        delay = self.faults.settings.submit_reply_delay_s
        if delay:
            self._sleep(delay)
        kind = self.faults.ambiguous()
        if kind is not None:
            raise OrderStatusUnknown(
                f"{self._name} submit({request.client_order_id}): {kind} after sending; "
                "outcome unknown, expected a lookup by client id"
            )
        return order

    def fetch_order_by_client_id(self, symbol: str, client_order_id: str) -> BrokerOrder:
        self._enter(f"fetch_order({client_order_id})")
        return self.venue.fetch_by_client_id(client_order_id)

    def fetch_open_orders(self, symbol: str | None = None) -> list[BrokerOrder]:
        self._enter("fetch_open_orders")
        return self.venue.open_orders(symbol)

    def fetch_my_trades(self, symbol: str, since: datetime | None = None) -> list[BrokerTrade]:
        self._enter(f"fetch_my_trades({symbol})")
        return self.venue.trades(symbol, since)

    def cancel(self, symbol: str, client_order_id: str) -> BrokerOrder:
        self._enter(f"cancel({client_order_id})")
        return self.venue.cancel(client_order_id)

    def fetch_balance(self) -> dict[str, Decimal]:
        self._enter("fetch_balance")
        return self.venue.balances()

    def fetch_positions(self) -> list[BrokerPosition]:
        self._enter("fetch_positions")
        return self.venue.positions()


def paper_capabilities(name: str, receive_window: bool, lookup_lag_s: float) -> VenueCapabilities:
    """The paper venue's capabilities: what its settings make it do."""
    return VenueCapabilities(
        venue=name,
        receive_window=receive_window,
        lookup_by_client_id=True,
        server_time=True,
        stamps_our_time=True,
        default_recv_window_s=None,
        max_lookup_lag_s=lookup_lag_s,
        note="paper venue: follows its settings",
    )
