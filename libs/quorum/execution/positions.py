"""Net positions kept from fills: average entry, realized and unrealized P&L including fees.

Pure functions over a frozen :class:`NetPosition` (one per venue and symbol; a negative
quantity is short). A position returns to flat only through :func:`finalize_exit`, the
one path every exit type takes (stop, take-profit, manual exit, kill-switch flatten,
reconciliation): it reports the closed trade and resets the per-trade figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from quorum.domain import Direction, Side

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class NetPosition:
    """``realized_pnl`` and ``fees`` belong to the open trade (since it left flat)."""

    venue: str
    symbol: str
    quantity: Decimal
    average_entry: Decimal | None
    realized_pnl: Decimal
    fees: Decimal
    opened_at: datetime | None

    @classmethod
    def flat(cls, venue: str, symbol: str) -> NetPosition:
        return cls(
            venue=venue,
            symbol=symbol,
            quantity=ZERO,
            average_entry=None,
            realized_pnl=ZERO,
            fees=ZERO,
            opened_at=None,
        )

    @property
    def direction(self) -> Direction | None:
        if self.quantity > 0:
            return Direction.LONG
        if self.quantity < 0:
            return Direction.SHORT
        return None

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """Mark-to-market P&L of the open quantity (before exit fees)."""
        if self.average_entry is None or self.quantity == 0:
            return ZERO
        return (mark - self.average_entry) * self.quantity

    def reduced_by(self, side: Side, quantity: Decimal) -> bool:
        """True when an order of ``side`` for ``quantity`` can only shrink this position."""
        if self.quantity > 0:
            return side is Side.SELL and quantity <= self.quantity
        if self.quantity < 0:
            return side is Side.BUY and quantity <= -self.quantity
        return False


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """What :func:`finalize_exit` reports about a trade that returned to flat."""

    venue: str
    symbol: str
    reason: str
    realized_pnl: Decimal
    fees: Decimal
    opened_at: datetime | None
    closed_at: datetime

    def payload(self) -> dict[str, Any]:
        return {
            "event": "closed",
            "venue": self.venue,
            "symbol": self.symbol,
            "reason": self.reason,
            "realized_pnl": self.realized_pnl,
            "fees": self.fees,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
        }


def apply_fill(
    position: NetPosition,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    when: datetime,
) -> tuple[NetPosition, bool]:
    """The position after one fill, and whether the fill took it to flat (or through it).

    Adding to a position moves the average entry; reducing it realizes
    ``closed × (price − entry)`` (sign by direction); fees are subtracted from realized
    P&L. A fill that crosses zero closes the old side and opens the rest at ``price``.
    """
    if quantity <= 0 or price <= 0 or fee < 0:
        raise ValueError(
            f"fill: quantity and price must be > 0 and fee >= 0 "
            f"(got quantity={quantity}, price={price}, fee={fee})"
        )
    signed = quantity if side is Side.BUY else -quantity
    held = position.quantity
    realized = position.realized_pnl - fee
    fees = position.fees + fee
    if held == 0 or (held > 0) == (signed > 0):
        size = abs(held) + quantity
        entry = price if position.average_entry is None or held == 0 else position.average_entry
        average = (abs(held) * entry + quantity * price) / size
        opened = position.opened_at if held != 0 else when
        return (
            replace(
                position,
                quantity=held + signed,
                average_entry=average,
                realized_pnl=realized,
                fees=fees,
                opened_at=opened,
            ),
            False,
        )
    entry = position.average_entry if position.average_entry is not None else price
    closing = min(quantity, abs(held))
    direction = 1 if held > 0 else -1
    realized += closing * (price - entry) * direction
    after = held + signed
    if after == 0:
        return replace(position, quantity=ZERO, realized_pnl=realized, fees=fees), True
    if (after > 0) == (held > 0):
        return replace(position, quantity=after, realized_pnl=realized, fees=fees), False
    # crossed through zero: the remainder opens a new trade at this price
    return replace(position, quantity=after, realized_pnl=realized, fees=fees), True


def finalize_exit(
    position: NetPosition, reason: str, when: datetime, reopen_price: Decimal | None = None
) -> tuple[NetPosition, ClosedTrade]:
    """Close the trade of a position that reached flat (or crossed it): report, then reset.

    A position that crossed flat keeps its new quantity as a new trade opened at
    ``reopen_price`` (the crossing fill's price).
    """
    closed = ClosedTrade(
        venue=position.venue,
        symbol=position.symbol,
        reason=reason,
        realized_pnl=position.realized_pnl,
        fees=position.fees,
        opened_at=position.opened_at,
        closed_at=when,
    )
    crossed = position.quantity != 0
    after = replace(
        position,
        average_entry=(reopen_price or position.average_entry) if crossed else None,
        realized_pnl=ZERO,
        fees=ZERO,
        opened_at=when if crossed else None,
    )
    return after, closed


def set_to_venue(
    position: NetPosition, quantity: Decimal, average_entry: Decimal | None, when: datetime
) -> tuple[NetPosition, ClosedTrade | None]:
    """Move the position to the venue's truth (reconciliation); closing goes through
    :func:`finalize_exit`."""
    if quantity == 0:
        if position.quantity == 0:
            return position, None
        flat = replace(position, quantity=ZERO)
        return finalize_exit(flat, "reconciliation", when)
    entry = average_entry if average_entry is not None else position.average_entry
    opened = position.opened_at if position.quantity != 0 else when
    return replace(position, quantity=quantity, average_entry=entry, opened_at=opened), None
