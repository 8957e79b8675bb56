"""Pre-trade checks on an intent before it is stored: all of them run before any network
call, and a refusal is a value (with its reason) that the caller journals.

Malformed input (NaN, infinities, negatives, missing fields) is refused by the domain
model itself; then the market checks: unknown symbol, size over the maximum, a limit or
stop price outside the collar around the reference price, and the risk decision: it must
approve this symbol for at least this quantity.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from quorum.domain import OrderIntent, RiskDecision
from quorum.execution.settings import MarketLimits


def parse_intent(raw: OrderIntent | Mapping[str, Any]) -> OrderIntent | str:
    """The validated intent, or the reason it is refused (naming the field and rule)."""
    if isinstance(raw, OrderIntent):
        return raw
    try:
        return OrderIntent.model_validate(dict(raw))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "intent"
            problems.append(f"{where}: {error['msg']}")
        return "invalid intent: " + "; ".join(problems)
    except (TypeError, ValueError, ArithmeticError) as exc:
        return f"invalid intent: {type(exc).__name__}: {exc}"


def check_decision(intent: OrderIntent, decision: RiskDecision) -> str | None:
    if not decision.approved:
        return f"risk decision: {decision.verdict} ({decision.reason or 'no reason given'})"
    if decision.symbol != intent.symbol:
        return f"risk decision: is for {decision.symbol}, the intent for {intent.symbol}"
    if intent.quantity > decision.quantity:
        return f"quantity: {intent.quantity} exceeds the approved quantity {decision.quantity}"
    return None


def check_market(intent: OrderIntent, markets: Mapping[str, MarketLimits]) -> str | None:
    if not markets:
        return None
    market = markets.get(intent.symbol)
    if market is None:
        known = ", ".join(sorted(markets)[:10])
        return f"symbol: {intent.symbol!r} is not a known market (expected one of {known})"
    if market.max_quantity is not None and intent.quantity > market.max_quantity:
        return f"quantity: {intent.quantity} is above the maximum {market.max_quantity}"
    reference = market.reference_price
    if reference is not None:
        for name, price in (("price", intent.price), ("stop_price", intent.stop_price)):
            if price is None:
                continue
            deviation = abs(price - reference) / reference
            if deviation > market.collar_fraction:
                return (
                    f"{name}: {price} is {deviation:.2%} from the reference price {reference}; "
                    f"the collar is {market.collar_fraction:.2%}"
                )
    return None


def describe_input(raw: OrderIntent | Mapping[str, Any]) -> dict[str, str]:
    """A journal-safe rendering of what was submitted (every value as text)."""
    data = raw.model_dump() if isinstance(raw, OrderIntent) else dict(raw)
    return {str(k): _text(v) for k, v in data.items()}


def _text(value: object) -> str:
    if isinstance(value, Decimal | float):
        return str(value)
    return str(getattr(value, "value", value))[:200]
