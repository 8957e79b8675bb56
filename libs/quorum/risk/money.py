"""Small pure Decimal functions for the risk gate's money math.

No floats: prices, quantities, fees and fractions are ``Decimal`` in and out.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Final, cast

from quorum.domain import Direction, RuleCheck
from quorum.domain.formatting import pct as pct
from quorum.domain.formatting import show as show
from quorum.risk.rules import Rule

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
UNLIMITED: Final = Decimal("Infinity")


def to_decimal(value: float) -> Decimal:
    """A float (confidence, correlation, win rate) as the Decimal of its shortest repr."""
    return Decimal(repr(value))


def floor_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """``quantity`` rounded down to a whole number of ``step`` (never up), exactly.

    Computed with as many digits as the whole number of steps and the step need, so the
    result is an exact step multiple however many digits they have (the default 28-digit
    context would round the product, or refuse the division past 10^28 steps)."""
    if quantity <= 0:
        return ZERO
    digits = max(quantity.adjusted() - step.adjusted(), 0) + len(step.as_tuple().digits) + 2
    with localcontext() as exact:
        exact.prec = max(exact.prec, digits)
        return (quantity // step) * step


def round_to_tick(price: Decimal, tick: Decimal, *, up: bool) -> Decimal:
    """``price`` rounded to the tick grid, up or down."""
    mode = ROUND_CEILING if up else ROUND_FLOOR
    return (price / tick).to_integral_value(mode) * tick


def min_tradable(
    min_amount: Decimal, min_notional: Decimal, price: Decimal, step: Decimal
) -> Decimal:
    """The smallest step-multiple quantity that meets both the amount and notional minimums."""
    needed = max(min_amount, min_notional / price, step)
    steps = (needed / step).to_integral_value(ROUND_CEILING)
    return steps * step


def sign(direction: Direction) -> int:
    return 1 if direction is Direction.LONG else -1


def worst_case_loss_per_unit(
    direction: Direction,
    entry: Decimal,
    stop: Decimal,
    *,
    entry_slippage: Decimal,
    stop_buffer: Decimal,
    entry_fee: Decimal,
    exit_fee: Decimal,
) -> Decimal:
    """Loss per unit when the entry fills with slippage and the stop fills ``stop_buffer`` worse.

    Both legs pay their fee on the fill price. Positive for any valid stop.
    """
    if direction is Direction.LONG:
        entry_fill = entry * (ONE + entry_slippage)
        exit_fill = stop * (ONE - stop_buffer)
        move = entry_fill - exit_fill
    else:
        entry_fill = entry * (ONE - entry_slippage)
        exit_fill = stop * (ONE + stop_buffer)
        move = exit_fill - entry_fill
    return move + entry_fill * entry_fee + exit_fill * exit_fee


def rule_check(rule: str, passed: bool, measured: str, limit: str, message: str) -> RuleCheck:
    """A :class:`RuleCheck`, fully validated (validation stores a :class:`Rule` as its plain
    name).

    Runs the model's own validator on the field values: the validation ``RuleCheck(...)``
    runs, minus the keyword-argument call of ``BaseModel.__init__``, which costs a third of
    the time on the gate's hot path (about 30 checks per decision)."""
    values = {
        "rule": rule,
        "passed": passed,
        "measured": measured,
        "limit": limit,
        "message": message,
    }
    return cast(RuleCheck, RuleCheck.__pydantic_validator__.validate_python(values))


def passed(rule: Rule, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check, validated like every other value."""
    return rule_check(rule, True, measured, limit, message)


def failed(rule: str, measured: str, limit: str, message: str) -> RuleCheck:
    """A failing check; its message starts with the rule's name."""
    return rule_check(rule, False, measured, limit, f"{rule}: {message}")
