"""Venue-style controls: kill switch, price collar, order-rate throttle, duplicate intents
and per-symbol order caps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.unit.risk.risk_kit import T0, check, decide, market, portfolio, settings, signal, state

from quorum.domain import MAX_QUANTITY, MIN_PRICE, Verdict
from quorum.risk import (
    RiskSettings,
    Rule,
    RulesState,
    entry_intent_id,
    record_order,
    set_kill_switch,
)


def test_evaluate_rejects_every_entry_while_the_kill_switch_is_engaged() -> None:
    s = RiskSettings()
    engaged = set_kill_switch(state(s), True, T0, s, by="ops", reason="venue incident").state
    decision = decide(rules=engaged, s=s)
    assert decision.verdict is Verdict.REJECTED
    assert decision.failed[0].rule == Rule.KILL_SWITCH
    assert "venue incident" in decision.reason
    assert len(decision.checks) == 1


def test_evaluate_allows_entries_once_the_kill_switch_is_released() -> None:
    s = RiskSettings()
    engaged = set_kill_switch(state(s), True, T0, s, by="ops").state
    released = set_kill_switch(engaged, False, T0, s, by="ops").state
    assert decide(rules=released, s=s).verdict is Verdict.APPROVED


def test_evaluate_accepts_entry_exactly_at_the_price_collar() -> None:
    decision = decide(signal(entry=Decimal(105)))
    collar = check(decision, Rule.PRICE_COLLAR)
    assert (collar.passed, collar.measured, collar.limit) == (True, "5.000%", "5.000%")


def test_evaluate_rejects_entry_outside_the_price_collar() -> None:
    decision = decide(signal(entry=Decimal("94.9")))
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.PRICE_COLLAR, "5.100%", "5.000%")


def _with_orders(count: int, spacing: timedelta, s: RiskSettings) -> RulesState:
    rules = state(s)
    for k in range(count):
        when = T0 - spacing * (count - k)
        rules = record_order(rules, f"intent-{k}", when, s).state
    return rules


def test_evaluate_allows_the_tenth_order_in_a_minute() -> None:
    s = RiskSettings()
    rules = _with_orders(9, timedelta(seconds=5), s)
    decision = decide(rules=rules, s=s)
    assert check(decision, Rule.ORDER_RATE).measured == "10"
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_throttles_the_eleventh_order_in_a_minute() -> None:
    s = RiskSettings()
    rules = _with_orders(10, timedelta(seconds=5), s)
    decision = decide(rules=rules, s=s)
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.ORDER_RATE, "11", "10")


def test_evaluate_forgets_orders_older_than_the_throttle_window() -> None:
    s = RiskSettings()
    rules = _with_orders(10, timedelta(seconds=6), s)  # the oldest is exactly 60 s ago
    assert decide(rules=rules, s=s).verdict is Verdict.APPROVED


def test_evaluate_rejects_a_duplicate_intent() -> None:
    s = RiskSettings()
    sig = signal()
    rules = record_order(state(s), entry_intent_id(sig), T0 - timedelta(minutes=5), s).state
    decision = decide(sig, rules=rules, s=s)
    assert decision.failed[0].rule == Rule.DUPLICATE_INTENT
    assert entry_intent_id(sig) in decision.reason


def test_evaluate_allows_the_same_intent_after_the_duplicate_window() -> None:
    s = settings(venue={"duplicate_window": "PT1H"})
    sig = signal()
    rules = record_order(state(s), entry_intent_id(sig), T0 - timedelta(hours=1), s).state
    assert decide(sig, rules=rules, s=s).verdict is Verdict.APPROVED


def test_entry_intent_id_is_the_derived_entry_client_order_id() -> None:
    sig = signal()
    assert entry_intent_id(sig) == entry_intent_id(signal())
    assert entry_intent_id(sig) != entry_intent_id(signal(as_of=T0 + timedelta(hours=1)))


def test_evaluate_resizes_to_our_max_order_quantity_for_the_symbol() -> None:
    s = settings(venue={"max_order_quantity": {"BTC/USDT": "50"}})
    decision = decide(s=s)
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(50)
    assert decision.reason.endswith("by venue.max_order_quantity")


def test_evaluate_resizes_to_the_venue_max_order_notional() -> None:
    decision = decide(info=market(max_order_notional=Decimal(3_000)))
    assert decision.quantity == Decimal(30)
    assert check(decision, Rule.MAX_ORDER_NOTIONAL).limit == "3000"


def test_evaluate_applies_the_tighter_of_our_and_the_venue_order_caps() -> None:
    s = settings(venue={"max_order_quantity": {"BTC/USDT": "50"}})
    decision = decide(info=market(max_order_quantity=Decimal(40)), s=s)
    assert decision.quantity == Decimal(40)


def test_unconfigured_order_caps_are_the_domain_maximum_quantity_and_no_notional_limit() -> None:
    decision = decide()
    assert check(decision, Rule.MAX_ORDER_QUANTITY).limit == "1e+15"
    assert check(decision, Rule.MAX_ORDER_NOTIONAL).limit == "unlimited"


def test_an_order_never_exceeds_the_domain_maximum_quantity() -> None:
    # 10^7 equity at a 10^-12 price with a 10 % stop asks for ~2x10^16 units.
    price = MIN_PRICE * 10
    sig = signal(
        entry=price,
        stop_loss=price * Decimal("0.9"),
        take_profit=price * 2,
        confidence=0.9,
    )
    equity = Decimal(10**7)
    huge = portfolio(equity=equity, margin_available=equity)
    info = market(
        reference_price=price,
        price_tick=MIN_PRICE,
        amount_step=Decimal(1),
        min_amount=Decimal(0),
        min_notional=Decimal(0),
    )
    s = settings(portfolio={"max_position_notional_fraction": "1", "max_leverage": 10})
    decision = decide(sig, folio=huge, info=info, s=s, rules=state(s, equity=equity))
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == MAX_QUANTITY
    assert Rule.MAX_ORDER_QUANTITY in decision.reason
