"""Magnitude bounds of the domain's Decimal amounts, enforced where values enter a model.

A price, a quantity or an amount of money outside these ranges is no market's value; past
them, products and quotients of the risk math leave the Decimal context (an exact step
multiple of a 10^30 quantity needs more than 28 digits). The bounds are wide enough for
any listed asset (a 1e-12 price, a 1e15 token quantity) and refuse the rest at the model
edge with an error naming the field and the allowed range.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Final

from pydantic import ValidationInfo

MIN_PRICE: Final = Decimal("1e-12")
MAX_PRICE: Final = Decimal("1e12")
MIN_QUANTITY: Final = Decimal("1e-12")
MAX_QUANTITY: Final = Decimal("1e15")
MAX_MONEY: Final = Decimal("1e18")
"""The largest amount of money (absolute): equity, notional, P&L, volume, fees."""


def within(low: Decimal, high: Decimal) -> Callable[[Decimal, ValidationInfo], Decimal]:
    """An after-validator refusing values outside ``[low, high]``, naming the field."""

    def check(value: Decimal, info: ValidationInfo) -> Decimal:
        if not low <= value <= high:
            field = info.field_name or "value"
            raise ValueError(f"{field}: must be within [{low}, {high}] (got {value})")
        return value

    return check
