"""Every domain model survives JSON and Python round-trips without losing a digit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.strategies import MODEL_STRATEGIES, aware_datetimes, decimal_fields, signals

from quorum.domain import DomainModel, Signal

EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODELS = list(MODEL_STRATEGIES.items())


@pytest.mark.parametrize(("model", "strategy"), MODELS, ids=[m.__name__ for m, _ in MODELS])
@EXAMPLES
@given(data=st.data())
def test_model_round_trips_through_json_and_python_keeping_every_decimal_digit(
    model: type[DomainModel], strategy: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    value = data.draw(strategy)
    assert type(value) is model
    restored = model.model_validate_json(value.model_dump_json())
    assert restored == value
    assert restored.model_dump_json() == value.model_dump_json()
    assert model.model_validate(value.model_dump()) == value
    assert model.model_validate(value.model_dump(mode="json")) == value
    after = dict(decimal_fields(restored))
    for path, number in decimal_fields(value):
        assert isinstance(after[path], Decimal)
        assert after[path].as_tuple() == number.as_tuple(), path


@settings(max_examples=60, deadline=None)
@given(signal=signals(), as_of=aware_datetimes())
def test_aware_time_in_any_zone_is_stored_as_the_same_utc_instant(
    signal: Signal, as_of: datetime
) -> None:
    moved = signal.evolve(as_of=as_of)
    assert isinstance(moved, Signal)
    assert moved.as_of == as_of
    assert moved.as_of.tzinfo is UTC
    assert Signal.model_validate_json(moved.model_dump_json()).as_of == as_of
