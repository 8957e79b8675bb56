"""Random walks over the Position and Order state machines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial

from hypothesis import given, settings
from hypothesis import strategies as st

from quorum.domain import (
    ORDER_TRANSITIONS,
    POSITION_TRANSITIONS,
    Order,
    OrderState,
    Position,
    PositionState,
)
from quorum.errors import IllegalTransition
from quorum.testing import T0, make_order, make_position

EXAMPLES = settings(max_examples=100, deadline=None)


def attempt[T](step: Callable[[], T]) -> T | IllegalTransition:
    """The step's result, or the IllegalTransition it raised."""
    try:
        return step()
    except IllegalTransition as error:
        return error


def _position_step(position: Position, target: PositionState, minute: int) -> Position:
    changes: dict[str, object] = {}
    if target in (PositionState.ACTIVE, PositionState.EXITING) and position.quantity == 0:
        changes = {"quantity": Decimal("0.5"), "average_entry": Decimal("100")}
    return position.transition(target, T0 + timedelta(minutes=minute), **changes)


@EXAMPLES
@given(path=st.lists(st.sampled_from(list(PositionState)), max_size=12))
def test_position_follows_exactly_the_edges_of_its_table(path: list[PositionState]) -> None:
    position = make_position()
    for minute, target in enumerate(path, start=1):
        legal = target in POSITION_TRANSITIONS[position.state]
        moved = attempt(partial(_position_step, position, target, minute))
        if isinstance(moved, IllegalTransition):
            assert not legal
            assert (moved.current, moved.target) == (position.state.value, target.value)
            continue
        assert legal
        assert moved.state is target
        position = moved
    if position.state is PositionState.CLOSED:
        assert position.closed_at is not None


def _order_step(order: Order, target: OrderState, minute: int) -> Order:
    changes: dict[str, object] = {}
    if target is OrderState.FILLED:
        changes = {"filled_quantity": order.quantity, "average_price": Decimal("100")}
    elif target is OrderState.PARTIALLY_FILLED:
        remaining = order.quantity - order.filled_quantity
        changes = {
            "filled_quantity": order.filled_quantity + remaining / 2,
            "average_price": Decimal("100"),
        }
    return order.transition(target, T0 + timedelta(minutes=minute), **changes)


@EXAMPLES
@given(path=st.lists(st.sampled_from(list(OrderState)), max_size=12))
def test_order_follows_exactly_the_edges_of_its_table(path: list[OrderState]) -> None:
    order = make_order()
    for minute, target in enumerate(path, start=1):
        legal = target in ORDER_TRANSITIONS[order.state]
        moved = attempt(partial(_order_step, order, target, minute))
        if isinstance(moved, IllegalTransition):
            assert not legal
            assert (moved.current, moved.target) == (order.state.value, target.value)
            continue
        assert legal
        assert moved.state is target
        assert moved.filled_quantity <= moved.quantity
        assert moved.client_order_id == order.client_order_id
        order = moved
    if order.state.terminal:
        assert not ORDER_TRANSITIONS[order.state]
