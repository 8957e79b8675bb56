"""Orders in doubt: when "not found" may be believed, and what to do where it never may.

A submit whose outcome is unknown is resent (same client id) only once the venue can no
longer accept the earlier request *and* its read path has caught up:

- the **deadline** is the time the request was signed, mapped to the venue's clock, plus
  the venue's receive window and ``clock_skew_s``. Where the adapter signs with our
  ``sent_at`` (paper, Binance) that is ``sent_at``; where it stamps the request itself
  (ccxt's ``nonce()``) it is at most the time the call returned — or, for a sender that
  may still be in flight, ``sent_at + sign_allowance_s``. A venue clock behind ours (the
  broker's ``clock_offset_s`` < 0) moves the deadline later by as much;
- "not found" counts only from lookups made ``lookup lag`` after that deadline
  (``execution.lookup_lag_s[venue]``, else the venue's capability).

Where the venue's capabilities say "not found" is never conclusive
(:mod:`quorum.execution.venues`), the order stays ``unknown``: journaled and counted
(``quorum_execution_unknown_inconclusive``) once, and new entries on its symbol are
refused under :data:`UNKNOWN_RULE` until reconciliation finds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from quorum.domain import JournalKind, OrderLeg, OrderState
from quorum.execution import repo
from quorum.execution.records import ExecOrder
from quorum.execution.resilience import GuardedBroker
from quorum.execution.settings import ExecutionSettings
from quorum.execution.sync import OrderSync
from quorum.execution.venues import VenueCapabilities
from quorum.telemetry.metrics import metrics

UNKNOWN_RULE = "execution.unknown_order_on_symbol"
"""The rule that refuses entries on a symbol with an order unknown at a venue where
"not found" is never conclusive."""


def lookup_lag_s(settings: ExecutionSettings, broker: GuardedBroker) -> float:
    lag = settings.lookup_lag_s.get(broker.name)
    return broker.capabilities.max_lookup_lag_s if lag is None else lag


def _offset_s(broker: GuardedBroker) -> float:
    return max(0.0, -broker.clock_offset_s)


def send_deadline(
    settings: ExecutionSettings,
    broker: GuardedBroker,
    sent_at: datetime,
    returned_at: datetime | None = None,
) -> datetime:
    """After this the venue refuses the request sent at ``sent_at`` (see the module doc);
    ``returned_at``: when the submit call ended, where the adapter stamps it itself."""
    signed = sent_at
    if not broker.capabilities.stamps_our_time:
        signed = returned_at or sent_at + timedelta(seconds=settings.sign_allowance_s)
    window = broker.recv_window_s + settings.clock_skew_s + _offset_s(broker)
    return signed + timedelta(seconds=window)


def deadline_span_s(settings: ExecutionSettings, broker: GuardedBroker) -> float:
    """At most this long from sending to the deadline (to bound when trades can start)."""
    allowance = 0.0 if broker.capabilities.stamps_our_time else settings.sign_allowance_s
    offset = abs(broker.clock_offset_s)
    return broker.recv_window_s + settings.clock_skew_s + allowance + offset


def absence_conclusive(
    settings: ExecutionSettings, broker: GuardedBroker, order: ExecOrder, now: datetime
) -> bool:
    """Would "not found" now prove that ``order`` is not (and will never be) at the venue?"""
    if not broker.capabilities.not_found_conclusive:
        return False
    if order.submit_deadline is None:
        return True
    return now >= order.submit_deadline + timedelta(seconds=lookup_lag_s(settings, broker))


def entry_block_reason(session: Session, broker: GuardedBroker, order: ExecOrder) -> str | None:
    """Why the entry ``order`` may not go out: another order on its symbol is unknown at a
    venue where "not found" is never conclusive (None: nothing in the way)."""
    caps = broker.capabilities
    if order.leg is not OrderLeg.ENTRY or caps.not_found_conclusive:
        return None
    for other in repo.list_orders(session, [OrderState.UNKNOWN], venue=order.venue):
        if other.symbol == order.symbol and other.client_order_id != order.client_order_id:
            return (
                f"{UNKNOWN_RULE}: order {other.client_order_id} on {order.symbol} is unknown "
                f"and {caps.why_inconclusive()}; entries on {order.symbol} are refused until "
                "reconciliation resolves it"
            )
    return None


def alert_unknown(
    session: Session, sync: OrderSync, order: ExecOrder, caps: VenueCapabilities
) -> None:
    """Journal and count an order left unknown where "not found" is never conclusive."""
    sync.journal(
        session,
        JournalKind.ORDER_UPDATE,
        {
            "event": "unknown_inconclusive",
            "client_order_id": order.client_order_id,
            "venue": order.venue,
            "symbol": order.symbol,
            "rule": UNKNOWN_RULE,
            "reason": caps.why_inconclusive(),
            "action": f"stays unknown; entries on {order.symbol} refused until reconciled",
        },
    )
    metrics().unknown_inconclusive.labels(order.venue).inc()
