"""How rule checks and limits render numbers: fixed, stable text (pure, cached where safe)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache


@lru_cache(maxsize=1_024)
def limit_pct(value: Decimal) -> str:
    """``pct`` for configured limits (few distinct values, formatted once).

    Safe to key by value: a fixed-point percentage reads the same for equal Decimals of
    any exponent. ``show`` is not (``Decimal("2.0")`` shows as ``2.0``), so limits shown
    with it are cached on their frozen settings or market instead."""
    return pct(value)


def show(value: Decimal) -> str:
    """A compact, stable rendering for RuleCheck.measured / limit (10 significant digits)."""
    return f"{value:.10g}"


def pct(value: Decimal) -> str:
    """A fraction as a percentage with three decimals: ``0.02`` → ``2.000%``."""
    return f"{value:.3%}"
