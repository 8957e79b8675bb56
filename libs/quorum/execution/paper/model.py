"""The paper venue's settings and the records its matching engine keeps (orders, quotes,
net positions, counters). Plain data: :mod:`venue` matches them, :mod:`stored` persists them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from quorum.domain import OrderType, Side
from quorum.ports import BrokerOrder

ZERO = Decimal(0)


class PaperSettings(BaseModel):
    """How the paper venue matches and charges."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    taker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    slippage: Decimal = Field(default=ZERO, ge=0, lt=1)
    """Fraction of price a market fill pays beyond the quote."""
    partial_fill_ratio: Decimal = Field(default=Decimal(1), gt=0, le=1)
    reject_probability: float = Field(default=0.0, ge=0, le=1)
    recv_window_s: float = Field(default=5.0, gt=0)
    enforce_recv_window: bool = True
    """False: a late request is accepted anyway (like Kraken or Coinbase, which have no
    receive window), so "not found" is never conclusive at this venue."""
    query_lag_s: float = Field(default=0.0, ge=0)
    amount_step: Decimal = Field(default=Decimal("0.00000001"), gt=0)
    max_quantity: Decimal | None = Field(default=None, gt=0)
    initial_balances: dict[str, Decimal] = Field(default_factory=lambda: {"USDT": Decimal(10**7)})
    seed: int = 0


@dataclass
class PaperOrder:
    """One order as the venue keeps it (``seq`` is the number in its venue id ``P<seq>``)."""

    venue_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    created_at: datetime
    updated_at: datetime
    status: str = "open"
    reduce_only: bool = False
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    triggered: bool = False

    @property
    def seq(self) -> int:
        return int(self.venue_order_id[1:])

    def mutable(self) -> tuple[object, ...]:
        """What matching and cancelling can change (compared to find changed orders)."""
        return (self.status, self.filled, self.cost, self.triggered, self.updated_at)

    def view(self) -> BrokerOrder:
        return BrokerOrder(
            client_order_id=self.client_order_id,
            venue_order_id=self.venue_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            status=self.status,
            quantity=self.quantity,
            filled=self.filled,
            average_price=None if self.filled == 0 else self.cost / self.filled,
            price=self.price,
            updated_at=self.updated_at,
        )


@dataclass
class Quote:
    bid: Decimal
    ask: Decimal
    last: Decimal


@dataclass
class Book:
    """The net position in one symbol and its average entry."""

    quantity: Decimal = ZERO
    entry: Decimal | None = None


@dataclass
class VenueStats:
    """What the venue saw: accepted submits per client id (a duplicate shows as > 1)."""

    accepted: Counter[str] = field(default_factory=Counter)
    duplicates_refused: int = 0
    late_refused: int = 0
    submits: int = 0
