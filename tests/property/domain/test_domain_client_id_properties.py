"""client_order_id properties over random decision identities."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tests.strategies import order_intents, sides, symbols, utc_datetimes

from quorum.domain import OrderIntent, OrderLeg, Side, derive_client_order_id

VENUE_SAFE = re.compile(r"^[0-9a-z]{32}$")
names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x1f"),
    min_size=1,
    max_size=64,
)
legs = st.sampled_from(list(OrderLeg))
identities = st.tuples(names, names, symbols(), utc_datetimes(), sides, legs)
Identity = tuple[str, str, str, datetime, Side, OrderLeg]


def derive(identity: Identity) -> str:
    return derive_client_order_id(*identity)


@settings(max_examples=100, deadline=None)
@given(identity=identities)
def test_client_order_id_is_32_venue_safe_characters_and_repeatable(identity: Identity) -> None:
    client_id = derive(identity)
    assert VENUE_SAFE.match(client_id)
    assert derive(identity) == client_id


@settings(max_examples=100, deadline=None)
@given(first=identities, data=st.data())
def test_client_order_ids_differ_when_any_one_identity_field_differs(
    first: Identity, data: st.DataObject
) -> None:
    position = data.draw(st.integers(min_value=0, max_value=5), label="field")
    replacement = data.draw([names, names, symbols(), utc_datetimes(), sides, legs][position])
    assume(replacement != first[position])
    second = list(first)
    second[position] = replacement
    assert derive(first) != derive(tuple(second))  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(identity=identities, minutes=st.integers(min_value=-720, max_value=840))
def test_client_order_id_depends_on_the_instant_not_the_zone(
    identity: Identity, minutes: int
) -> None:
    run_id, strategy, symbol, when, side, leg = identity
    local = when.astimezone(timezone(timedelta(minutes=minutes)))
    assert derive_client_order_id(run_id, strategy, symbol, local, side, leg) == derive(identity)


@settings(max_examples=100, deadline=None)
@given(intent=order_intents())
def test_order_intent_id_is_derived_from_its_identity_and_survives_json(
    intent: OrderIntent,
) -> None:
    expected = derive_client_order_id(
        intent.run_id, intent.strategy, intent.symbol, intent.signal_time, intent.side, intent.leg
    )
    assert intent.client_order_id == expected
    assert OrderIntent.model_validate_json(intent.model_dump_json()).client_order_id == expected
