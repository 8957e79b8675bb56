"""The send-time check of a reduce-only order: it may only shrink our position.

Right before the broker call (in the transaction that moves the order to ``submitting``)
a reduce-only order is measured against our net position in its venue and symbol minus
what the *other* reduce-only orders on the same side that are working at the venue
(submitting, acknowledged, partially filled, unknown) may still fill. It is sent whole
when that room covers it, clipped to the room when the room is smaller, and refused —
cancelled locally, never sent — when no room is left: an exit is never sent as a position
flip. Resting reduce-only orders (the protective stop and take-profit, stop and limit
orders) are contingent: at most one of a position's protective legs can fill before the
others are cancelled (emulated OCO), and the venue clips a reduce-only fill to the
position it finds, so they are neither counted against another order's room nor against
each other; the market exits that may still fill are.

The outcome, with the order, the position, the working exits and the rule, is part of the
order's journal entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quorum.domain import OrderType, Side
from quorum.execution.positions import NetPosition
from quorum.execution.records import ExecOrder

RULE = "execution.reduce_only"
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ReduceOnlyCheck:
    """What may be sent of one reduce-only order (``allowed`` 0: nothing)."""

    allowed: Decimal
    room: Decimal
    outcome: str
    """``passed`` | ``clipped`` | ``refused``."""
    reason: str
    detail: dict[str, Any]


def contingent(order: ExecOrder) -> bool:
    """A resting reduce-only order (protective stop / take-profit): it reserves nothing."""
    return order.reduce_only and order.order_type is not OrderType.MARKET


def room_left(position: NetPosition, side: Side, others: list[ExecOrder]) -> Decimal:
    """How much an order of ``side`` may still reduce ``position`` after ``others``."""
    if position.quantity > 0 and side is Side.SELL:
        held = position.quantity
    elif position.quantity < 0 and side is Side.BUY:
        held = -position.quantity
    else:
        held = ZERO
    covered = sum((o.remaining for o in others), ZERO)
    return max(held - covered, ZERO)


def check_reduce_only(
    order: ExecOrder, position: NetPosition, others: list[ExecOrder]
) -> ReduceOnlyCheck:
    """Measure ``order`` against ``position`` less ``others`` (see the module doc)."""
    working = [
        o for o in others if o.client_order_id != order.client_order_id and not contingent(o)
    ]
    room = room_left(position, order.side, working)
    wanted = order.remaining
    allowed = min(wanted, room)
    outcome = "passed" if allowed == wanted else "clipped" if allowed > 0 else "refused"
    covered = sum((o.remaining for o in working), ZERO)
    ids = ", ".join(o.client_order_id for o in working) or "none"
    reason = (
        f"order {order.client_order_id}: reduce-only {order.side.value} {wanted} "
        f"{outcome} by rule {RULE}: position {position.venue}:{position.symbol} is "
        f"{position.quantity}, working exits ({ids}) may still fill {covered}, leaving "
        f"{room} to reduce"
    )
    if outcome == "refused":
        reason += "; sending it would increase or flip the position"
    elif outcome == "clipped":
        reason += f"; sent for {allowed}"
    detail = {
        "rule": RULE,
        "outcome": outcome,
        "client_order_id": order.client_order_id,
        "side": order.side.value,
        "quantity": wanted,
        "allowed": allowed,
        "position": {
            "venue": position.venue,
            "symbol": position.symbol,
            "quantity": position.quantity,
        },
        "working_exits": [
            {
                "client_order_id": o.client_order_id,
                "state": o.state.value,
                "quantity": o.quantity,
                "filled_quantity": o.filled_quantity,
            }
            for o in working
        ],
        "room": room,
    }
    return ReduceOnlyCheck(allowed, room, outcome, reason, detail)
