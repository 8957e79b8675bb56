"""Small pure Decimal functions for the risk gate's money math.

No floats: prices, quantities, fees and fractions are ``Decimal`` in and out.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache
from typing import Any, cast

from quorum.domain import Direction, RuleCheck
from quorum.domain.formatting import limit_pct as limit_pct
from quorum.domain.formatting import pct as pct
from quorum.domain.formatting import show as show
from quorum.risk.base import trusted
from quorum.risk.rules import Rule

ZERO = Decimal(0)
ONE = Decimal(1)
UNLIMITED = Decimal("Infinity")


@lru_cache(maxsize=4_096)
def to_decimal(value: float) -> Decimal:
    """A float (confidence, correlation, win rate) as the Decimal of its shortest repr.

    Cached by value: equal floats have the same repr, and a Decimal is immutable."""
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


_validate_check: Any = RuleCheck.__pydantic_validator__.validate_python
_CHECK_FIELDS = frozenset(RuleCheck.model_fields)
_RULE_NAMES: dict[Rule, str] = {rule: rule.value for rule in Rule}


def rule_check(rule: str, passed: bool, measured: str, limit: str, message: str) -> RuleCheck:
    """A validated :class:`RuleCheck` (the same value ``RuleCheck(...)`` builds)."""
    values = {
        "rule": rule,
        "passed": passed,
        "measured": measured,
        "limit": limit,
        "message": message,
    }
    return cast(RuleCheck, _validate_check(values))


def trusted_check(rule: Rule, passed: bool, measured: str, limit: str, message: str) -> RuleCheck:
    """The RuleCheck :func:`rule_check` would build, without running the validator again.

    Only for the engine's own values, which satisfy the schema by construction: ``rule``
    is a :class:`Rule` (the tests validate a check for each one) and the texts are ``str``
    the engine formatted (RuleCheck puts no bound on them). Anything else goes through
    :func:`rule_check`.
    """
    values = {
        "rule": _RULE_NAMES[rule],
        "passed": passed,
        "measured": measured,
        "limit": limit,
        "message": message,
    }
    return trusted(RuleCheck, values, _CHECK_FIELDS)


@lru_cache(maxsize=16_384)
def passed(rule: Rule, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check. Cached: RuleCheck is frozen, and most passes repeat verbatim
    (switches off, limits untouched), so the hot path reuses them instead of rebuilding."""
    return trusted_check(rule, True, measured, limit, message)


@lru_cache(maxsize=16_384)
def passed_coarse(rule: Rule, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check whose texts tend to repeat across signals (a percentage to three
    decimals, a ratio to four, a budget set by equity and confidence). Cached apart from
    :func:`passed`, so these many values cannot evict its switches and limits; a miss
    costs only the lookup."""
    return trusted_check(rule, True, measured, limit, message)


def passed_once(rule: Rule, measured: str, limit: str, message: str = "") -> RuleCheck:
    """A passing check whose values are unlikely to repeat (kept out of the cache)."""
    return trusted_check(rule, True, measured, limit, message)


def failed(rule: str, measured: str, limit: str, message: str) -> RuleCheck:
    """A failing check, always validated: rejections are rare and leave the engine."""
    return rule_check(rule, False, measured, limit, f"{rule}: {message}")
