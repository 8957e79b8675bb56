"""Venue-style order controls: kill switch, duplicate intents, order-rate throttle,
price collar and per-symbol order caps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from quorum.domain import OrderLeg, RuleCheck, Signal, derive_client_order_id
from quorum.risk.inputs import MarketInfo
from quorum.risk.memo import IdentityMemo
from quorum.risk.money import (
    ONE,
    UNLIMITED,
    ZERO,
    failed,
    limit_pct,
    passed,
    passed_coarse,
    pct,
    show,
)
from quorum.risk.portfolio import Cap, amount_cap
from quorum.risk.rules import Rule
from quorum.risk.settings import VenueSettings
from quorum.risk.state import RulesState, count_in_window


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
    return passed(Rule.KILL_SWITCH, "released", "released")


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
    limit = limit_pct(settings.price_collar_fraction)
    if deviation > settings.price_collar_fraction:
        return failed(
            Rule.PRICE_COLLAR,
            pct(deviation),
            limit,
            f"entry {show(entry)} is {pct(deviation)} from the reference price "
            f"{show(reference)}; the collar is {limit}",
        )
    return passed_coarse(Rule.PRICE_COLLAR, pct(deviation), limit)


_ORDER_LIMITS: IdentityMemo[tuple[Cap, Decimal, str]] = IdentityMemo(maxsize=1_024)


def _order_limits(market: MarketInfo, settings: VenueSettings) -> tuple[Cap, Decimal, str]:
    """``(quantity cap, notional limit, its text)``: neither depends on the entry price."""
    key = (id(market), id(settings))
    limits = _ORDER_LIMITS.get(key)
    if limits is None:
        symbol = market.symbol
        quantities = [settings.max_order_quantity.get(symbol), market.max_order_quantity]
        notionals = [
            settings.max_order_notional.get(symbol, settings.default_max_order_notional),
            market.max_order_notional,
        ]
        max_qty = min((q for q in quantities if q is not None), default=UNLIMITED)
        max_notional = min((n for n in notionals if n is not None), default=UNLIMITED)
        quantity_cap = amount_cap(Rule.MAX_ORDER_QUANTITY, ZERO, ONE, max_qty, "order quantity")
        text = "unlimited" if max_notional.is_infinite() else show(max_notional)
        limits = _ORDER_LIMITS.put(key, (market, settings), (quantity_cap, max_notional, text))
    return limits


def order_caps(market: MarketInfo, entry: Decimal, settings: VenueSettings) -> tuple[Cap, ...]:
    """Per-order quantity and notional caps: the tighter of ours and the venue's.

    A cap nobody configured is unlimited (an infinite limit, shown as such)."""
    quantity_cap, max_notional, notional_text = _order_limits(market, settings)
    notional_cap = Cap(
        Rule.MAX_ORDER_NOTIONAL, ZERO, entry, max_notional, None, notional_text, "order notional"
    )
    return quantity_cap, notional_cap
