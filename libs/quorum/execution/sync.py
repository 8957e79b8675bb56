"""Apply what the venue says about an order (its status, filled quantity, trades) to our
records, in the caller's transaction, journaled.

- State follows the venue but only forward: a stale reply never moves an order back, and
  a terminal order never changes. When the venue's state is not one edge away (e.g.
  submitting → cancelled) the shortest legal path through ``ORDER_TRANSITIONS`` is taken
  in one compare-and-set update, and the path is journaled.
- Filled quantity is the venue's ``filled`` field, never decreasing and never above the
  order quantity. Fills are stored once per venue trade id; a fill that would take the
  stored fills past the order quantity is refused and journaled as an anomaly.
- Every new fill updates the net position; a position that reaches flat is closed
  through :func:`~quorum.execution.positions.finalize_exit`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from quorum.clock import Clock
from quorum.domain import ORDER_TRANSITIONS, JournalKind, OrderState, format_time
from quorum.execution import repo
from quorum.execution.positions import apply_fill, finalize_exit
from quorum.execution.records import ExecOrder
from quorum.ports import BrokerOrder, BrokerTrade, JournalAppender

_S = OrderState
_RANK = {
    _S.NEW: 0,
    _S.SUBMITTING: 1,
    _S.UNKNOWN: 1,
    _S.ACKNOWLEDGED: 2,
    _S.PARTIALLY_FILLED: 3,
    _S.FILLED: 4,
    _S.CANCELLED: 4,
    _S.REJECTED: 4,
    _S.EXPIRED: 4,
}


def venue_state(status: str, filled: Decimal, quantity: Decimal) -> OrderState:
    """Our state for a venue's (ccxt-style) status and cumulative filled quantity."""
    full = filled >= quantity
    if status == "open":
        if full:
            return _S.FILLED
        return _S.PARTIALLY_FILLED if filled > 0 else _S.ACKNOWLEDGED
    if status == "closed":
        return _S.FILLED if full else _S.CANCELLED
    if status in ("canceled", "cancelled"):
        return _S.FILLED if full else _S.CANCELLED
    if status == "expired":
        return _S.FILLED if full else _S.EXPIRED
    if status == "rejected":
        return _S.REJECTED
    raise ValueError(
        f"venue status: expected open, closed, canceled, expired or rejected (got {status!r})"
    )


def transition_path(current: OrderState, target: OrderState) -> list[OrderState] | None:
    """Shortest legal path ``current → … → target`` (excluding ``current``), or None."""
    if target is current:
        return []
    queue: deque[tuple[OrderState, list[OrderState]]] = deque([(current, [])])
    seen = {current}
    while queue:
        state, path = queue.popleft()
        for nxt in sorted(ORDER_TRANSITIONS[state]):
            if nxt in seen:
                continue
            if nxt is target:
                return [*path, nxt]
            seen.add(nxt)
            queue.append((nxt, [*path, nxt]))
    return None


class OrderSync:
    """Writes venue facts about orders into the store (no broker calls here)."""

    def __init__(self, journal: JournalAppender, clock: Clock, actor: str) -> None:
        self._journal = journal
        self._clock = clock
        self._actor = actor

    def journal(self, session: Session, kind: JournalKind, payload: dict[str, object]) -> None:
        self._journal.append(session, kind, payload, actor=self._actor)

    def record(
        self,
        session: Session,
        order: ExecOrder,
        seen: BrokerOrder | None,
        trades: Iterable[BrokerTrade] = (),
        reason: str = "",
        inserted: list[str] | None = None,
    ) -> ExecOrder | None:
        """Apply ``seen`` and ``trades`` to ``order``; None when another writer won the CAS
        (the caller must roll back and re-read). ``inserted`` collects the venue trade ids
        this call recorded (not those another writer had already)."""
        now = self._clock.now()
        # the venue's order id as known now: a first reply carries it before our row does,
        # and a venue whose trades carry no client id (Binance myTrades) is matched by it
        known_id = (seen.venue_order_id if seen is not None else None) or order.venue_order_id
        for trade in trades:
            if self._add_fill(session, order, trade, now, known_id) and inserted is not None:
                inserted.append(trade.venue_trade_id)
        fills = repo.fills_of(session, order.venue, order.client_order_id)
        fees = sum((Decimal(f["fee"]) for f in fills), Decimal(0))
        fill_qty = sum((Decimal(f["quantity"]) for f in fills), Decimal(0))
        filled = order.filled_quantity
        target = order.state
        venue_id = order.venue_order_id
        average = order.average_price
        if seen is not None:
            venue_id = seen.venue_order_id or venue_id
            filled = min(max(filled, seen.filled), order.quantity)
            wanted = venue_state(seen.status, filled, order.quantity)
            if order.state.terminal or _RANK[wanted] < _RANK[order.state]:
                wanted = order.state
            if wanted is _S.PARTIALLY_FILLED and not 0 < filled < order.quantity:
                wanted = order.state
            target = wanted
            if seen.average_price is not None and filled > 0:
                average = seen.average_price
        if average is None and filled > 0 and fill_qty > 0:
            notional = sum(
                (Decimal(f["quantity"]) * Decimal(f["price"]) for f in fills), Decimal(0)
            )
            average = notional / fill_qty
        if filled > 0 and average is None:
            average = seen.price if seen is not None and seen.price is not None else None
            if average is None:
                filled = order.filled_quantity  # cannot record a fill without a price yet
        if target is _S.FILLED and filled != order.quantity:
            target = order.state
        if target is _S.PARTIALLY_FILLED and not 0 < filled < order.quantity:
            target = order.state  # its fill could not be recorded (no price yet)
        path = transition_path(order.state, target)
        if path is None:
            return order
        updated = order.evolve(
            state=target,
            venue_order_id=venue_id,
            filled_quantity=filled,
            average_price=average,
            fees=fees,
            updated_at=max(now, order.updated_at),
        )
        if _same(order, updated):
            return order
        if not repo.cas_order(session, order, updated):
            return None
        updated = updated.evolve(version=order.version + 1)
        payload = updated.summary()
        payload.update(
            event="venue_update",
            previous_state=order.state.value,
            path=[s.value for s in path],
            reason=reason,
        )
        self.journal(session, JournalKind.ORDER_UPDATE, payload)
        return updated

    def _add_fill(
        self,
        session: Session,
        order: ExecOrder,
        trade: BrokerTrade,
        now: datetime,
        venue_order_id: str | None,
    ) -> bool:
        mine = trade.client_order_id == order.client_order_id or (
            venue_order_id is not None and trade.venue_order_id == venue_order_id
        )
        if not mine:
            return False
        stored = repo.fills_of(session, order.venue, order.client_order_id)
        if any(f["venue_trade_id"] == trade.venue_trade_id for f in stored):
            return False
        total = sum((Decimal(f["quantity"]) for f in stored), Decimal(0))
        if total + trade.quantity > order.quantity:
            self.journal(
                session,
                JournalKind.RECONCILIATION,
                {
                    "event": "fill_refused",
                    "client_order_id": order.client_order_id,
                    "venue_trade_id": trade.venue_trade_id,
                    "reason": f"fills would reach {total + trade.quantity}, above the order "
                    f"quantity {order.quantity}",
                },
            )
            return False
        row = {
            "venue": order.venue,
            "venue_trade_id": trade.venue_trade_id,
            "client_order_id": order.client_order_id,
            "symbol": trade.symbol,
            "side": trade.side.value,
            "quantity": str(trade.quantity),
            "price": str(trade.price),
            "fee": str(trade.fee),
            "fee_currency": trade.fee_currency,
            "liquidity": trade.liquidity.value,
            "ts": format_time(trade.ts),
        }
        if not repo.insert_fill(session, row):
            return False
        position = repo.lock_position(session, order.venue, trade.symbol, now)
        position, flat = apply_fill(
            position, trade.side, trade.quantity, trade.price, trade.fee, trade.ts
        )
        closed = None
        if flat:
            position, closed = finalize_exit(
                position, order.leg.value, trade.ts, reopen_price=trade.price
            )
        repo.put_position(session, position, now)
        self.journal(
            session,
            JournalKind.FILL,
            {
                **row,
                "position_quantity": position.quantity,
                "position_average_entry": position.average_entry,
            },
        )
        if closed is not None:
            self.journal(session, JournalKind.POSITION, closed.payload())
        return True


def _same(a: ExecOrder, b: ExecOrder) -> bool:
    return (
        a.state is b.state
        and a.venue_order_id == b.venue_order_id
        and a.filled_quantity == b.filled_quantity
        and a.average_price == b.average_price
        and a.fees == b.fees
    )
