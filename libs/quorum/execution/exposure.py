"""Exposure at the venue that no recorded fill explains (a duplicate order, an order we lost).

Reconciliation records every venue trade it can attribute first; what the venue still
holds beyond our position after that is *unexplained exposure*. It is never adopted
silently: reconciliation journals ``duplicate_exposure`` (kind ``reconciliation``), counts
``quorum_execution_unexplained_exposure``, moves our position to the venue's (so our
books say what we hold) and — with ``execution.flatten_unexplained`` (default on) —
stores, in the same transaction, a reduce-only market exit of the excess that passed the
exit risk gate (:func:`quorum.risk.evaluate_exit`). Its client id derives from its cause
(:class:`~quorum.domain.ExitCause`: the exposure found at that reconciliation, rule
:data:`FLATTEN_RULE`), never the clock of a retry, so storing it again is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quorum.domain import (
    Direction,
    ExitCause,
    OrderIntent,
    OrderLeg,
    OrderType,
    Position,
    PositionState,
    RiskDecision,
    Side,
)
from quorum.risk import evaluate_exit

FLATTEN_RULE = "execution.flatten_unexplained"
ORIGIN_RECONCILE = "reconciliation"
"""The run and strategy of the exits reconciliation stores (no run decided them)."""
_ZERO = Decimal(0)


def unexplained_excess(ours: Decimal, venue: Decimal) -> Decimal:
    """How much of the venue's position is exposure beyond ours (0: none; a venue
    position smaller than ours, on our side, is a deficit, not exposure)."""
    if venue == 0:
        return _ZERO
    if ours == 0 or (ours > 0) != (venue > 0):
        return abs(venue)
    return max(abs(venue) - abs(ours), _ZERO)


@dataclass(frozen=True, slots=True)
class UnexplainedExposure:
    venue: str
    symbol: str
    ours: Decimal
    venue_quantity: Decimal
    average_entry: Decimal | None
    found_at: datetime

    @property
    def excess(self) -> Decimal:
        return unexplained_excess(self.ours, self.venue_quantity)

    @property
    def exit_side(self) -> Side:
        return Side.SELL if self.venue_quantity > 0 else Side.BUY

    def payload(self, action: str) -> dict[str, object]:
        return {
            "event": "duplicate_exposure",
            "symbol": self.symbol,
            "ours": self.ours,
            "venue_quantity": self.venue_quantity,
            "excess": self.excess,
            "rule": FLATTEN_RULE,
            "action": action,
        }


def flatten_order(exposure: UnexplainedExposure) -> tuple[OrderIntent, RiskDecision] | str:
    """The reduce-only exit of the excess and the exit gate's decision on it, or why
    there is none (refused by the gate, or no price to describe the position by)."""
    entry = exposure.average_entry
    if entry is None or entry <= 0:
        return f"{exposure.symbol}: the venue reports no entry price; not flattened"
    now = exposure.found_at
    subject = f"exposure:{exposure.venue}:{exposure.symbol}:{now.isoformat()}"
    intent = OrderIntent(
        run_id=ORIGIN_RECONCILE,
        strategy=ORIGIN_RECONCILE,
        symbol=exposure.symbol,
        signal_time=now,
        side=exposure.exit_side,
        leg=OrderLeg.EXIT,
        order_type=OrderType.MARKET,
        quantity=exposure.excess,
        reduce_only=True,
        cause=ExitCause(subject=subject[:128], rule=FLATTEN_RULE),
    )
    long = exposure.venue_quantity > 0
    position = Position(
        position_id=intent.client_order_id,
        run_id=ORIGIN_RECONCILE,
        symbol=exposure.symbol,
        direction=Direction.LONG if long else Direction.SHORT,
        state=PositionState.ACTIVE,
        quantity=abs(exposure.venue_quantity),
        average_entry=entry,
        stop_loss=entry * (Decimal("0.999") if long else Decimal("1.001")),  # not an input
        opened_at=now,
    )
    decision = evaluate_exit(intent, position, now)
    if not decision.approved:
        return f"{exposure.symbol}: exit gate refused the flatten: {decision.reason}"
    return intent, decision
