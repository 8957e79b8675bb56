"""The stored order as a frozen value, and its conversions to rows, requests and domain values."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.domain import (
    OrderIntent,
    OrderLeg,
    OrderState,
    OrderType,
    Side,
    format_time,
    parse_time,
)
from quorum.ports import OrderRequest

ORIGIN_INTENT = "intent"
ORIGIN_EXTERNAL = "external"
"""An order found at the venue that no intent of ours created (adopted by reconciliation)."""

WORKING_STATES = frozenset(
    {
        OrderState.SUBMITTING,
        OrderState.ACKNOWLEDGED,
        OrderState.PARTIALLY_FILLED,
        OrderState.UNKNOWN,
    }
)
"""Orders that may be live at the venue (or might be: submitting / unknown)."""


def dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecOrder:
    """One order as we know it: the stored intent, its state, version and fill progress."""

    client_order_id: str
    venue: str
    origin: str
    run_id: str
    strategy: str
    symbol: str
    side: Side
    leg: OrderLeg
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    reduce_only: bool
    signal_time: datetime
    state: OrderState
    version: int
    venue_order_id: str | None
    filled_quantity: Decimal
    average_price: Decimal | None
    fees: Decimal
    attempts: int
    submit_deadline: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_intent(cls, intent: OrderIntent, venue: str, now: datetime) -> ExecOrder:
        return cls(
            client_order_id=intent.client_order_id,
            venue=venue,
            origin=ORIGIN_INTENT,
            run_id=intent.run_id,
            strategy=intent.strategy,
            symbol=intent.symbol,
            side=intent.side,
            leg=intent.leg,
            order_type=intent.order_type,
            quantity=intent.quantity,
            price=intent.price,
            stop_price=intent.stop_price,
            reduce_only=intent.reduce_only,
            signal_time=intent.signal_time,
            state=OrderState.NEW,
            version=1,
            venue_order_id=None,
            filled_quantity=Decimal(0),
            average_price=None,
            fees=Decimal(0),
            attempts=0,
            submit_deadline=None,
            last_error=None,
            created_at=now,
            updated_at=now,
        )

    @classmethod
    def from_row(cls, row: Any) -> ExecOrder:
        m = row._mapping if hasattr(row, "_mapping") else row
        deadline = m["submit_deadline"]
        return cls(
            client_order_id=m["client_order_id"],
            venue=m["venue"],
            origin=m["origin"],
            run_id=m["run_id"],
            strategy=m["strategy"],
            symbol=m["symbol"],
            side=Side(m["side"]),
            leg=OrderLeg(m["leg"]),
            order_type=OrderType(m["order_type"]),
            quantity=Decimal(m["quantity"]),
            price=dec(m["price"]),
            stop_price=dec(m["stop_price"]),
            reduce_only=bool(m["reduce_only"]),
            signal_time=parse_time(m["signal_time"]),
            state=OrderState(m["state"]),
            version=int(m["version"]),
            venue_order_id=m["venue_order_id"],
            filled_quantity=Decimal(m["filled_quantity"]),
            average_price=dec(m["average_price"]),
            fees=Decimal(m["fees"]),
            attempts=int(m["attempts"]),
            submit_deadline=None if deadline is None else parse_time(deadline),
            last_error=m["last_error"],
            created_at=parse_time(m["created_at"]),
            updated_at=parse_time(m["updated_at"]),
        )

    def to_row(self) -> dict[str, Any]:
        return {
            "client_order_id": self.client_order_id,
            "venue": self.venue,
            "origin": self.origin,
            "run_id": self.run_id,
            "strategy": self.strategy,
            "symbol": self.symbol,
            "side": self.side.value,
            "leg": self.leg.value,
            "order_type": self.order_type.value,
            "quantity": str(self.quantity),
            "price": text(self.price),
            "stop_price": text(self.stop_price),
            "reduce_only": self.reduce_only,
            "signal_time": format_time(self.signal_time),
            "state": self.state.value,
            "version": self.version,
            "venue_order_id": self.venue_order_id,
            "filled_quantity": str(self.filled_quantity),
            "average_price": text(self.average_price),
            "fees": str(self.fees),
            "attempts": self.attempts,
            "submit_deadline": (
                None if self.submit_deadline is None else format_time(self.submit_deadline)
            ),
            "last_error": self.last_error,
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
        }

    def evolve(self, **changes: Any) -> ExecOrder:
        return replace(self, **changes)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity

    def request(self, sent_at: datetime) -> OrderRequest:
        return OrderRequest(
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            quantity=self.quantity,
            price=self.price,
            stop_price=self.stop_price,
            reduce_only=self.reduce_only,
            sent_at=sent_at,
        )

    def summary(self) -> dict[str, Any]:
        """What a journal entry says about this order."""
        return {
            "client_order_id": self.client_order_id,
            "venue": self.venue,
            "symbol": self.symbol,
            "side": self.side.value,
            "leg": self.leg.value,
            "order_type": self.order_type.value,
            "quantity": self.quantity,
            "state": self.state.value,
            "version": self.version,
            "venue_order_id": self.venue_order_id,
            "filled_quantity": self.filled_quantity,
            "average_price": self.average_price,
            "attempts": self.attempts,
        }
