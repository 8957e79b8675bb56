"""Venue-style order controls: kill switch, duplicate intents, order-rate throttle,
price collar and per-symbol order caps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Final, NamedTuple

from quorum.domain import MAX_QUANTITY, OrderLeg, RuleCheck, Signal, derive_client_order_id
from quorum.risk.inputs import MarketInfo
from quorum.risk.money import (
    ONE,
    UNLIMITED,
    ZERO,
    failed,
    passed,
    pct,
    show,
)
from quorum.risk.portfolio import Cap, amount_cap
from quorum.risk.rules import Rule
from quorum.risk.settings import VenueSettings
from quorum.risk.state import RulesState, count_in_window

KILL_SWITCH_RELEASED: Final = passed(Rule.KILL_SWITCH, "released", "released")
"""The passing kill-switch check: a constant, built (and validated) once at import."""


def entry_intent_id(signal: Signal) -> str:
    """The entry order's derived client id: the identity the duplicate check uses."""
    return derive_client_order_id(
        signal.run_id,
        signal.strategy,
        signal.symbol,
        signal.as_of,
        signal.direction.entry_side,
        OrderLeg.ENTRY,
    )


def check_kill_switch(state: RulesState) -> RuleCheck:
    switch = state.kill_switch
    if switch is not None:
        return failed(
            Rule.KILL_SWITCH,
            "engaged",
            "released",
            f"kill switch engaged by {switch.by} at {switch.engaged_at.isoformat()}: "
            f"{switch.reason}",
        )
    return KILL_SWITCH_RELEASED


def check_duplicate_intent(
    intent_id: str, state: RulesState, as_of: datetime, settings: VenueSettings
) -> RuleCheck:
    seen = state.seen_intents.get(intent_id)
    if seen is not None and as_of - seen < settings.duplicate_window:
        return failed(
            Rule.DUPLICATE_INTENT,
            f"seen at {seen.isoformat()}",
            settings.duplicate_limit,
            f"intent {intent_id} was already submitted at {seen.isoformat()}",
        )
    return passed(Rule.DUPLICATE_INTENT, "not seen", settings.duplicate_limit)


def orders_in_window(state: RulesState, as_of: datetime, settings: VenueSettings) -> int:
    return count_in_window(state.order_times, as_of, settings.order_window)


def check_order_rate(state: RulesState, as_of: datetime, settings: VenueSettings) -> RuleCheck:
    count = orders_in_window(state, as_of, settings) + 1
    limit = settings.max_orders_per_window
    if count > limit:
        return failed(
            Rule.ORDER_RATE,
            str(count),
            str(limit),
            f"this would be order {count} in {settings.order_window}; at most {limit}",
        )
    return passed(Rule.ORDER_RATE, str(count), str(limit))


def check_price_collar(entry: Decimal, reference: Decimal, settings: VenueSettings) -> RuleCheck:
    deviation = abs(entry - reference) / reference
    limit = pct(settings.price_collar_fraction)
    if deviation > settings.price_collar_fraction:
        return failed(
            Rule.PRICE_COLLAR,
            pct(deviation),
            limit,
            f"entry {show(entry)} is {pct(deviation)} from the reference price "
            f"{show(reference)}; the collar is {limit}",
        )
    return passed(Rule.PRICE_COLLAR, pct(deviation), limit)


class OrderLimits(NamedTuple):
    """A market's per-order limits under the venue settings (neither depends on the price).

    The quantity limit is never above the domain's ``MAX_QUANTITY``; the notional limit is
    unlimited (infinite) when nobody configured one."""

    quantity_cap: Cap
    max_notional: Decimal
    notional_text: str


def order_limits(market: MarketInfo, settings: VenueSettings) -> OrderLimits:
    """The tighter of ours and the venue's per-order quantity and notional limits.

    A limit nobody configured is unlimited (an infinite limit, shown as such)."""
    symbol = market.symbol
    quantities = [settings.max_order_quantity.get(symbol), market.max_order_quantity]
    notionals = [
        settings.max_order_notional.get(symbol, settings.default_max_order_notional),
        market.max_order_notional,
    ]
    # No order can exceed the domain's largest quantity, configured or not.
    max_qty = min((q for q in quantities if q is not None), default=MAX_QUANTITY)
    max_notional = min((n for n in notionals if n is not None), default=UNLIMITED)
    quantity_cap = amount_cap(Rule.MAX_ORDER_QUANTITY, ZERO, ONE, max_qty, "order quantity")
    text = "unlimited" if max_notional.is_infinite() else show(max_notional)
    return OrderLimits(quantity_cap, max_notional, text)


def order_caps(limits: OrderLimits, entry: Decimal) -> tuple[Cap, ...]:
    """Per-order quantity and notional caps at ``entry``."""
    notional_cap = Cap(
        Rule.MAX_ORDER_NOTIONAL,
        ZERO,
        entry,
        limits.max_notional,
        None,
        limits.notional_text,
        "order notional",
    )
    return limits.quantity_cap, notional_cap
