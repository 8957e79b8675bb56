"""Small pure Decimal functions for the risk gate's money math.

No floats: prices, quantities, fees and fractions are ``Decimal`` in and out.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache

from quorum.domain import Direction, RuleCheck

ZERO = Decimal(0)
ONE = Decimal(1)
UNLIMITED = Decimal("Infinity")


def to_decimal(value: float) -> Decimal:
    """A float (confidence, correlation, win rate) as the Decimal of its shortest repr."""
    return Decimal(repr(value))


def floor_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """``quantity`` rounded down to a whole number of ``step`` (never up)."""
    if quantity <= 0:
        return ZERO
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


@lru_cache(maxsize=1_024)
def limit_pct(value: Decimal) -> str:
    """``pct`` for configured limits (few distinct values, formatted once)."""
    return pct(value)


def show(value: Decimal) -> str:
    """A compact, stable rendering for RuleCheck.measured / limit (10 significant digits)."""
    return f"{value:.10g}"


def pct(value: Decimal) -> str:
    """A fraction as a percentage with three decimals: ``0.02`` → ``2.000%``."""
    return f"{value:.3%}"


@lru_cache(maxsize=16_384)
def passed(rule: str, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check. Cached: RuleCheck is frozen, and most passes repeat verbatim
    (switches off, limits untouched), so the hot path reuses them instead of re-validating."""
    return RuleCheck(rule=rule, passed=True, measured=measured, limit=limit, message=message)


def passed_once(rule: str, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check whose values are unlikely to repeat (kept out of the cache).

    Built with ``model_construct``: every argument is a string the engine formatted itself
    from a rule name it owns, so re-validating it on the hot path buys nothing. The rule
    names are checked once by a unit test against RuleCheck's own validation.
    """
    return RuleCheck.model_construct(
        rule=rule, passed=True, measured=measured, limit=limit, message=message
    )


def failed(rule: str, measured: str, limit: str, message: str) -> RuleCheck:
    return RuleCheck(
        rule=rule, passed=False, measured=measured, limit=limit, message=f"{rule}: {message}"
    )
