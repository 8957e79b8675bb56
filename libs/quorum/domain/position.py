"""Positions and their lifecycle: Armed -> Entering -> Active -> Exiting -> Closed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from quorum.domain.base import DomainModel, Money, NonNegativeDecimal, Price, UtcDatetime
from quorum.domain.decision import _check_protective_levels
from quorum.domain.market import Direction, Symbol
from quorum.errors import IllegalTransition


class PositionState(StrEnum):
    ARMED = "armed"
    ENTERING = "entering"
    ACTIVE = "active"
    EXITING = "exiting"
    CLOSED = "closed"


_P = PositionState
POSITION_TRANSITIONS: dict[PositionState, frozenset[PositionState]] = {
    # Armed: approved, entry order not yet sent; may be abandoned (closed) before entry.
    _P.ARMED: frozenset({_P.ENTERING, _P.CLOSED}),
    # Entering: entry order working; it fills (active) or dies unfilled (closed).
    _P.ENTERING: frozenset({_P.ACTIVE, _P.CLOSED}),
    _P.ACTIVE: frozenset({_P.EXITING}),
    # Exiting: exit order working; it completes (closed) or is cancelled (back to active).
    _P.EXITING: frozenset({_P.CLOSED, _P.ACTIVE}),
    _P.CLOSED: frozenset(),
}


class Position(DomainModel):
    """A position in one symbol with its protective levels and running P&L."""

    position_id: str = Field(min_length=1, max_length=64)
    run_id: str = Field(min_length=1, max_length=64)
    symbol: Symbol
    direction: Direction
    state: PositionState = PositionState.ARMED
    quantity: NonNegativeDecimal = Decimal(0)
    average_entry: Price | None = None
    stop_loss: Price
    take_profit: Price | None = None
    realized_pnl: Money = Decimal(0)
    fees: NonNegativeDecimal = Decimal(0)
    opened_at: UtcDatetime
    closed_at: UtcDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.state in (PositionState.ACTIVE, PositionState.EXITING):
            if self.quantity <= 0:
                raise ValueError(f"quantity: must be > 0 while {self.state}")
            if self.average_entry is None:
                raise ValueError(f"average_entry: required while {self.state}")
        if self.state is PositionState.CLOSED and self.closed_at is None:
            raise ValueError("closed_at: required once closed")
        if self.state is not PositionState.CLOSED and self.closed_at is not None:
            raise ValueError("closed_at: only allowed once closed")
        if self.closed_at is not None and self.closed_at < self.opened_at:
            raise ValueError(
                f"closed_at: must be >= opened_at (closed_at={self.closed_at.isoformat()}, "
                f"opened_at={self.opened_at.isoformat()})"
            )
        if self.average_entry is not None and self.state is not PositionState.CLOSED:
            _check_protective_levels(
                self.direction, self.average_entry, self.stop_loss, self.take_profit
            )
        return self

    def transition(self, target: PositionState, when: datetime, **changes: object) -> Position:
        """Return the position moved to ``target``; raises IllegalTransition on a missing edge."""
        if target not in POSITION_TRANSITIONS[self.state]:
            raise IllegalTransition("position", self.state.value, target.value)
        if target is PositionState.CLOSED:
            changes.setdefault("closed_at", when)
        updated = self.evolve(state=target, **changes)
        assert isinstance(updated, Position)
        return updated

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """Mark-to-market P&L of the open quantity, before exit fees."""
        if self.average_entry is None or self.quantity == 0:
            return Decimal(0)
        sign = 1 if self.direction is Direction.LONG else -1
        return sign * (mark - self.average_entry) * self.quantity
