"""USD amounts as ``Decimal`` in code and as integer nano-dollars in storage.

Budgets and the ledger store integers (1 USD = 10^9 nano-USD) so that SQLite, PostgreSQL
and Redis (whose Lua numbers are doubles, exact to 2^53 ≈ 9 million USD here) all add
exactly. Conversion to storage rounds *up*: a stored cost is never below the real one.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

NANO_PER_USD = 10**9
_NANO = Decimal(NANO_PER_USD)
MILLION = Decimal(1_000_000)


def to_nano(usd: Decimal) -> int:
    """``usd`` in nano-USD, rounded up (never understates a cost)."""
    if not usd.is_finite():
        raise ValueError(f"usd: must be finite (got {usd})")
    return int((usd * _NANO).to_integral_value(rounding=ROUND_CEILING))


def from_nano(nano: int) -> Decimal:
    """``nano`` nano-USD as USD."""
    return Decimal(nano) / _NANO


def per_token(per_million: Decimal) -> Decimal:
    """A price per million tokens as a price per token."""
    return per_million / MILLION
