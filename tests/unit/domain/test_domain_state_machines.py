"""Position and Order state machines: every legal edge works, every other pair raises."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest
from pydantic import ValidationError

from quorum.domain import (
    ORDER_TRANSITIONS,
    POSITION_TRANSITIONS,
    Order,
    OrderState,
    Position,
    PositionState,
    check_order_transition,
)
from quorum.errors import IllegalTransition
from quorum.testing import T0, make_order, make_position

WHEN = T0 + timedelta(minutes=5)

LEGAL_POSITION = [(a, b) for a in PositionState for b in sorted(POSITION_TRANSITIONS[a])]
ILLEGAL_POSITION = [
    (a, b) for a, b in product(PositionState, PositionState) if b not in POSITION_TRANSITIONS[a]
]
LEGAL_ORDER = [(a, b) for a in OrderState for b in sorted(ORDER_TRANSITIONS[a])]
ILLEGAL_ORDER = [
    (a, b) for a, b in product(OrderState, OrderState) if b not in ORDER_TRANSITIONS[a]
]


def _pair_id(pair: object) -> str:
    assert isinstance(pair, tuple)
    return f"{pair[0].value}->{pair[1].value}"


def _position_changes(current: Position, target: PositionState) -> dict[str, object]:
    """What the caller supplies on an edge: entering the trade sets quantity and entry."""
    if target in (PositionState.ACTIVE, PositionState.EXITING) and current.quantity == 0:
        return {"quantity": Decimal("0.5"), "average_entry": Decimal("100")}
    return {}


def _order_changes(current: Order, target: OrderState) -> dict[str, object]:
    """Fill progress that fits the target state."""
    if target is OrderState.FILLED:
        return {"filled_quantity": current.quantity, "average_price": Decimal("100")}
    if target is OrderState.PARTIALLY_FILLED:
        more = current.filled_quantity + current.quantity * Decimal("0.1")
        return {"filled_quantity": more, "average_price": Decimal("100")}
    return {}


def test_tables_cover_every_state() -> None:
    assert set(POSITION_TRANSITIONS) == set(PositionState)
    assert set(ORDER_TRANSITIONS) == set(OrderState)
    assert all(isinstance(t, PositionState) for ts in POSITION_TRANSITIONS.values() for t in ts)
    assert all(isinstance(t, OrderState) for ts in ORDER_TRANSITIONS.values() for t in ts)


_P = PositionState
_O = OrderState
EXPECTED_POSITION_EDGES = {
    (_P.ARMED, _P.ENTERING),
    (_P.ARMED, _P.CLOSED),  # abandoned before the entry order is sent
    (_P.ENTERING, _P.ACTIVE),
    (_P.ENTERING, _P.CLOSED),  # entry order died unfilled
    (_P.ACTIVE, _P.EXITING),
    (_P.EXITING, _P.CLOSED),
    (_P.EXITING, _P.ACTIVE),  # exit order cancelled
}
EXPECTED_ORDER_EDGES = {
    (_O.NEW, _O.SUBMITTING),
    (_O.NEW, _O.CANCELLED),
    (_O.NEW, _O.EXPIRED),  # an entry intent too old to send (the sweep)
    *((_O.SUBMITTING, t) for t in (_O.ACKNOWLEDGED, _O.REJECTED, _O.PARTIALLY_FILLED)),
    *((_O.SUBMITTING, t) for t in (_O.FILLED, _O.UNKNOWN)),
    *((_O.ACKNOWLEDGED, t) for t in (_O.PARTIALLY_FILLED, _O.FILLED, _O.CANCELLED, _O.EXPIRED)),
    *((_O.PARTIALLY_FILLED, t) for t in (_O.PARTIALLY_FILLED, _O.FILLED)),
    *((_O.PARTIALLY_FILLED, t) for t in (_O.CANCELLED, _O.EXPIRED)),
    *((_O.UNKNOWN, t) for t in (_O.SUBMITTING, _O.ACKNOWLEDGED, _O.PARTIALLY_FILLED)),
    *((_O.UNKNOWN, t) for t in (_O.FILLED, _O.CANCELLED, _O.EXPIRED, _O.REJECTED)),
}


def test_position_table_is_exactly_the_specified_lifecycle() -> None:
    assert set(LEGAL_POSITION) == EXPECTED_POSITION_EDGES


def test_order_table_is_exactly_the_specified_edges() -> None:
    assert set(LEGAL_ORDER) == EXPECTED_ORDER_EDGES


def test_position_lifecycle_armed_entering_active_exiting_closed() -> None:
    position = make_position()
    assert position.state is PositionState.ARMED
    position = position.transition(PositionState.ENTERING, T0)
    position = position.transition(
        PositionState.ACTIVE, T0, quantity=Decimal("0.5"), average_entry=Decimal("100")
    )
    position = position.transition(PositionState.EXITING, T0)
    closed = position.transition(PositionState.CLOSED, WHEN, realized_pnl=Decimal("2"))
    assert closed.state is PositionState.CLOSED
    assert closed.closed_at == WHEN
    assert closed.realized_pnl == Decimal("2")


@pytest.mark.parametrize("pair", LEGAL_POSITION, ids=_pair_id)
def test_position_legal_transition_succeeds(pair: tuple[PositionState, PositionState]) -> None:
    source, target = pair
    position = make_position(state=source)
    moved = position.transition(target, WHEN, **_position_changes(position, target))
    assert moved.state is target
    assert position.state is source
    if target is PositionState.CLOSED:
        assert moved.closed_at is not None


@pytest.mark.parametrize("pair", ILLEGAL_POSITION, ids=_pair_id)
def test_position_illegal_transition_raises_naming_both_states(
    pair: tuple[PositionState, PositionState],
) -> None:
    source, target = pair
    position = make_position(state=source)
    with pytest.raises(IllegalTransition) as info:
        position.transition(target, WHEN, **_position_changes(position, target))
    assert info.value.machine == "position"
    assert (info.value.current, info.value.target) == (source.value, target.value)
    assert f"{source.value} -> {target.value}" in str(info.value)


def test_position_closed_has_no_exits() -> None:
    assert POSITION_TRANSITIONS[PositionState.CLOSED] == frozenset()


def test_position_entering_to_active_without_fill_keeps_invariant() -> None:
    entering = make_position(state=PositionState.ENTERING)
    with pytest.raises(ValidationError, match="quantity: must be > 0 while active"):
        entering.transition(PositionState.ACTIVE, WHEN)


def test_position_cannot_close_before_it_opened() -> None:
    armed = make_position()
    with pytest.raises(ValidationError, match="closed_at: must be >= opened_at"):
        armed.transition(PositionState.CLOSED, T0 - timedelta(minutes=1))


def test_position_close_keeps_explicit_closed_at() -> None:
    later = WHEN + timedelta(hours=1)
    closed = make_position().transition(PositionState.CLOSED, WHEN, closed_at=later)
    assert closed.closed_at == later


@pytest.mark.parametrize("pair", LEGAL_ORDER, ids=_pair_id)
def test_order_legal_transition_succeeds(pair: tuple[OrderState, OrderState]) -> None:
    source, target = pair
    order = make_order(state=source)
    moved = order.transition(target, WHEN, **_order_changes(order, target))
    assert moved.state is target
    assert moved.updated_at == WHEN
    check_order_transition(source, target)


@pytest.mark.parametrize("pair", ILLEGAL_ORDER, ids=_pair_id)
def test_order_illegal_transition_raises_naming_both_states(
    pair: tuple[OrderState, OrderState],
) -> None:
    source, target = pair
    order = make_order(state=source)
    with pytest.raises(IllegalTransition) as info:
        order.transition(target, WHEN, **_order_changes(order, target))
    assert info.value.machine == "order"
    assert (info.value.current, info.value.target) == (source.value, target.value)
    assert f"order: illegal transition {source.value} -> {target.value}" == str(info.value)
    with pytest.raises(IllegalTransition):
        check_order_transition(source, target)


@pytest.mark.parametrize("state", [s for s in OrderState if s.terminal], ids=str)
def test_order_terminal_state_has_no_exits(state: OrderState) -> None:
    assert ORDER_TRANSITIONS[state] == frozenset()
    order = make_order(state=state)
    for target in OrderState:
        with pytest.raises(IllegalTransition):
            order.transition(target, WHEN)


@pytest.mark.parametrize("state", [s for s in OrderState if not s.terminal], ids=str)
def test_order_non_terminal_state_has_an_exit(state: OrderState) -> None:
    assert ORDER_TRANSITIONS[state]


@pytest.mark.parametrize("source", [OrderState.ACKNOWLEDGED, OrderState.PARTIALLY_FILLED])
def test_order_cannot_go_filled_unless_fully_filled(source: OrderState) -> None:
    order = make_order(state=source)
    with pytest.raises(ValidationError, match="filled_quantity: a filled order must be fully"):
        order.transition(OrderState.FILLED, WHEN)


def test_order_fill_cannot_exceed_quantity_on_transition() -> None:
    order = make_order(state=OrderState.ACKNOWLEDGED)
    with pytest.raises(ValidationError, match="filled_quantity: must be <= quantity"):
        order.transition(
            OrderState.PARTIALLY_FILLED,
            WHEN,
            filled_quantity=order.quantity * 2,
            average_price=Decimal("100"),
        )


def test_order_unknown_resolves_to_resend_with_same_client_id() -> None:
    unknown = make_order(state=OrderState.UNKNOWN)
    resent = unknown.transition(OrderState.SUBMITTING, WHEN)
    assert resent.client_order_id == unknown.client_order_id


def test_order_submit_outcome_can_be_unknown_but_never_silently_rejected_from_new() -> None:
    assert OrderState.UNKNOWN in ORDER_TRANSITIONS[OrderState.SUBMITTING]
    assert OrderState.REJECTED not in ORDER_TRANSITIONS[OrderState.NEW]
