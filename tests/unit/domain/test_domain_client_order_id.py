"""client_order_id: derived, deterministic, venue-safe, and checked on every intent."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from quorum.domain import (
    ExitCause,
    OrderIntent,
    OrderLeg,
    Side,
    derive_client_order_id,
    derive_exit_client_order_id,
)
from quorum.testing import RUN_ID, STRATEGY, SYMBOL, T0, make_order_intent

VENUE_SAFE = re.compile(r"^[0-9a-z]{32}$")


@dataclass(frozen=True)
class Identity:
    run_id: str = "run-1"
    strategy: str = "confluence"
    symbol: str = "BTC/USDT"
    signal_time: datetime = T0
    side: Side = Side.BUY
    leg: OrderLeg = OrderLeg.ENTRY

    def derive(self) -> str:
        return derive_client_order_id(
            self.run_id, self.strategy, self.symbol, self.signal_time, self.side, self.leg
        )


# Computed once and frozen here: a different value means ids changed between
# releases (or processes), which would break idempotent resends after a restart.
KNOWN_IDS = [
    (Identity(), "q2881c721e13a7955df4a2c52b9fb0ef"),
    (
        Identity(
            "run-2024-03-10",
            "breakout",
            "ETH/USDT:USDT",
            datetime(2024, 3, 10, 12, 15, 0, 123456, tzinfo=UTC),
            Side.SELL,
            OrderLeg.STOP_LOSS,
        ),
        "qf4114313398714b26f745770db51e47",
    ),
]


@pytest.mark.parametrize(("identity", "expected"), KNOWN_IDS)
def test_client_order_id_matches_value_frozen_in_an_earlier_process(
    identity: Identity, expected: str
) -> None:
    assert identity.derive() == expected


def test_client_order_id_is_deterministic_within_a_process() -> None:
    assert Identity().derive() == Identity().derive()


def test_client_order_id_is_32_venue_safe_characters() -> None:
    client_id = Identity().derive()
    assert len(client_id) == 32
    assert VENUE_SAFE.match(client_id)
    assert client_id.startswith("q")


@pytest.mark.parametrize(
    "changed",
    [
        {"run_id": "run-2"},
        {"strategy": "breakout"},
        {"symbol": "BTC/USDT:USDT"},
        {"signal_time": T0 + timedelta(microseconds=1)},
        {"side": Side.SELL},
        {"leg": OrderLeg.STOP_LOSS},
        {"leg": OrderLeg.TAKE_PROFIT},
        {"leg": OrderLeg.EXIT},
    ],
    ids=lambda changed: next(iter(changed)),
)
def test_client_order_id_differs_when_any_identity_field_differs(
    changed: dict[str, object],
) -> None:
    base = Identity()
    assert replace(base, **changed).derive() != base.derive()  # type: ignore[arg-type]


def test_client_order_id_fields_cannot_bleed_into_each_other() -> None:
    joined_left = Identity(run_id="ab", strategy="c").derive()
    joined_right = Identity(run_id="a", strategy="bc").derive()
    assert joined_left != joined_right


def test_client_order_id_refuses_separator_that_would_make_ids_ambiguous() -> None:
    with pytest.raises(ValueError, match="run_id: must not contain"):
        Identity(run_id="a\x1fb", strategy="c").derive()
    with pytest.raises(ValueError, match="strategy: must not contain"):
        Identity(strategy="b\x1fc").derive()


def test_client_order_id_is_the_same_for_the_same_instant_in_any_zone() -> None:
    tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    assert Identity(signal_time=tokyo).derive() == Identity().derive()


def test_client_order_id_refuses_naive_signal_time() -> None:
    with pytest.raises(ValueError, match="signal_time: must be timezone-aware"):
        Identity(signal_time=datetime(2024, 1, 1)).derive()


@pytest.mark.parametrize("length", [8, 32, 64])
def test_client_order_id_length_is_configurable_within_bounds(length: int) -> None:
    client_id = derive_client_order_id(
        "run-1", "confluence", "BTC/USDT", T0, Side.BUY, OrderLeg.ENTRY, length=length
    )
    assert len(client_id) == length
    assert Identity().derive().startswith(client_id[:8])


@pytest.mark.parametrize("length", [7, 65])
def test_client_order_id_length_outside_bounds_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match=r"length: must be in \[8, 64\]"):
        derive_client_order_id(
            "run-1", "confluence", "BTC/USDT", T0, Side.BUY, OrderLeg.ENTRY, length=length
        )


def test_order_intent_derives_its_client_order_id() -> None:
    intent = make_order_intent()
    assert intent.client_order_id == KNOWN_IDS[0][1]


def test_order_intent_accepts_the_correct_id_given_explicitly() -> None:
    intent = make_order_intent(client_order_id=KNOWN_IDS[0][1])
    assert intent == make_order_intent()


def test_order_intent_client_order_id_survives_json_round_trip() -> None:
    intent = make_order_intent(order_type="limit", price="101.5")
    restored = OrderIntent.model_validate_json(intent.model_dump_json())
    assert restored == intent
    assert restored.client_order_id == intent.client_order_id


def test_order_intent_rejects_a_tampered_client_order_id() -> None:
    intent = make_order_intent()
    document = intent.model_dump(mode="json")
    document["client_order_id"] = "q" + "0" * 31
    with pytest.raises(ValidationError, match="client_order_id: must be derived from the decision"):
        OrderIntent.model_validate(document)


def test_order_intent_rejects_stale_id_after_identity_changes() -> None:
    intent = make_order_intent()
    with pytest.raises(ValidationError, match="client_order_id: must be derived"):
        intent.evolve(run_id="run-2")


def test_order_intent_keeps_id_when_non_identity_fields_change() -> None:
    intent = make_order_intent()
    resized = intent.evolve(quantity="0.25")
    assert isinstance(resized, OrderIntent)
    assert resized.client_order_id == intent.client_order_id


def test_order_intent_legs_of_one_decision_get_distinct_ids() -> None:
    entry = make_order_intent()
    stop = make_order_intent(
        leg="stop_loss", side="sell", order_type="stop", stop_price="98", reduce_only=True
    )
    take_profit = make_order_intent(
        leg="take_profit", side="sell", order_type="limit", price="104", reduce_only=True
    )
    assert len({entry.client_order_id, stop.client_order_id, take_profit.client_order_id}) == 3


def test_an_exit_with_a_cause_gets_the_same_id_whenever_it_is_decided() -> None:
    cause = ExitCause(subject="trade-1", rule="monitor.stop_loss")
    first = make_order_intent(
        side=Side.SELL, leg=OrderLeg.STOP_LOSS, reduce_only=True, cause=cause, signal_time=T0
    )
    later = make_order_intent(
        side=Side.SELL,
        leg=OrderLeg.STOP_LOSS,
        reduce_only=True,
        cause=cause,
        signal_time=T0 + timedelta(minutes=15),
        quantity=Decimal("0.25"),
    )
    assert first.client_order_id == later.client_order_id
    assert first.client_order_id == derive_exit_client_order_id(
        RUN_ID, STRATEGY, SYMBOL, Side.SELL, OrderLeg.STOP_LOSS, cause
    )


def test_an_exits_id_changes_with_its_generation_rule_and_subject_never_matching_an_entry() -> None:
    base = ExitCause(subject="trade-1", rule="monitor.stop_loss")
    ids = {
        derive_exit_client_order_id(RUN_ID, STRATEGY, SYMBOL, Side.SELL, OrderLeg.EXIT, c)
        for c in (
            base,
            base.evolve(generation=1),
            base.evolve(rule="monitor.time_exit"),
            base.evolve(subject="trade-2"),
        )
    }
    entry = derive_client_order_id(RUN_ID, STRATEGY, SYMBOL, T0, Side.SELL, OrderLeg.EXIT)
    assert len(ids) == 4
    assert entry not in ids


def test_an_entry_without_a_cause_keeps_its_time_derived_id() -> None:
    intent = make_order_intent()
    assert intent.cause is None
    assert intent.client_order_id == derive_client_order_id(
        RUN_ID, STRATEGY, SYMBOL, T0, Side.BUY, OrderLeg.ENTRY
    )
