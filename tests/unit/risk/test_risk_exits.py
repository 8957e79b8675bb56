"""The exit gate: risk-reducing orders pass (even in SAFE_MODE / under the kill switch),
anything that could add risk does not, and a stop may only tighten."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.risk.risk_kit import T0, open_position

from quorum.domain import (
    Direction,
    OrderIntent,
    OrderLeg,
    OrderType,
    PositionState,
    Side,
    Verdict,
)
from quorum.risk import Rule, evaluate_exit, is_risk_reducing
from quorum.testing import make_order_intent, make_position


def _exit(**overrides: object) -> OrderIntent:
    data: dict[str, object] = {"side": Side.SELL, "leg": OrderLeg.EXIT, "quantity": Decimal("0.5")}
    data.update(overrides)
    return make_order_intent(**data)


def test_a_sell_exit_for_the_open_quantity_reduces_a_long() -> None:
    assert is_risk_reducing(_exit(), open_position())


def test_an_exit_larger_than_the_position_does_not_reduce_risk() -> None:
    assert not is_risk_reducing(_exit(quantity=Decimal("0.6")), open_position())


def test_a_buy_does_not_reduce_a_long() -> None:
    assert not is_risk_reducing(_exit(side=Side.BUY), open_position())


def test_an_entry_leg_never_counts_as_risk_reducing() -> None:
    assert not is_risk_reducing(_exit(leg=OrderLeg.ENTRY), open_position())


def test_nothing_reduces_a_position_that_is_not_open() -> None:
    armed = make_position(state=PositionState.ARMED)
    assert not is_risk_reducing(_exit(), armed)
    assert not is_risk_reducing(_exit(), None)


def test_evaluate_exit_approves_a_risk_reducing_order() -> None:
    decision = evaluate_exit(_exit(), open_position(), T0)
    assert decision.verdict is Verdict.APPROVED
    assert decision.quantity == Decimal("0.5")
    assert decision.checks[0].rule == Rule.RISK_REDUCING


def test_evaluate_exit_rejects_an_order_that_would_add_risk() -> None:
    decision = evaluate_exit(_exit(side=Side.BUY), open_position(), T0)
    assert decision.verdict is Verdict.REJECTED
    assert decision.failed[0].rule == Rule.RISK_REDUCING
    assert "entries go through evaluate()" in decision.reason


def _stop(price: str, direction: Direction = Direction.LONG) -> OrderIntent:
    side = Side.SELL if direction is Direction.LONG else Side.BUY
    return _exit(
        side=side, leg=OrderLeg.STOP_LOSS, order_type=OrderType.STOP, stop_price=Decimal(price)
    )


def test_evaluate_exit_accepts_a_tighter_stop() -> None:
    decision = evaluate_exit(_stop("99"), open_position(), T0)
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_exit_rejects_a_stop_that_loosens() -> None:
    decision = evaluate_exit(_stop("97.5"), open_position(), T0)
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (
        Rule.STOP_LOOSENED,
        "97.5",
        "at or above 98.00",
    )


def test_evaluate_exit_compares_with_the_working_stop_after_it_moved() -> None:
    decision = evaluate_exit(_stop("99"), open_position(), T0, current_stop=Decimal(100))
    assert decision.failed[0].rule == Rule.STOP_LOOSENED


def test_evaluate_exit_rejects_a_short_stop_moved_up() -> None:
    short = open_position(direction=Direction.SHORT)
    decision = evaluate_exit(_stop("103", Direction.SHORT), short, T0)
    assert decision.failed[0].rule == Rule.STOP_LOOSENED
