"""How rule checks and limits render numbers: fixed, stable text (pure, no state)."""

from __future__ import annotations

from decimal import Decimal


def show(value: Decimal) -> str:
    """A compact, stable rendering for RuleCheck.measured / limit (10 significant digits)."""
    return f"{value:.10g}"


def pct(value: Decimal) -> str:
    """A fraction as a percentage with three decimals: ``0.02`` → ``2.000%``."""
    return f"{value:.3%}"
