"""Canonical JSON and time: the exact text that is stored and hashed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import pytest

from quorum.domain import Side, format_time, parse_time
from quorum.errors import ValidationFailed
from quorum.journal import canonical_json


class Colour(StrEnum):
    RED = "red"


def test_keys_are_sorted_without_whitespace_and_unicode_is_kept() -> None:
    text, normal = canonical_json({"b": 1, "a": {"z": [1, 2], "y": "ü"}})

    assert text == '{"a":{"y":"ü","z":[1,2]},"b":1}'
    assert normal == {"b": 1, "a": {"z": [1, 2], "y": "ü"}}


def test_decimals_datetimes_enums_and_uuids_become_strings() -> None:
    moment = datetime(2025, 1, 2, 4, 4, 5, 6, tzinfo=timezone(timedelta(hours=1)))
    text, _ = canonical_json(
        {
            "qty": Decimal("1.50"),
            "at": moment,
            "day": date(2025, 1, 2),
            "side": Side.BUY,
            "colour": Colour.RED,
            "id": UUID(int=1),
            "pair": ("a", 1),
        }
    )

    assert text == (
        '{"at":"2025-01-02T03:04:05.000006Z","colour":"red","day":"2025-01-02",'
        '"id":"00000000-0000-0000-0000-000000000001","pair":["a",1],"qty":"1.50","side":"buy"}'
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"a": {"b": float("inf")}}, "payload.a.b"),
        ({"a": [1, float("nan")]}, "payload.a[1]"),
        ({"q": Decimal("NaN")}, "payload.q"),
        ({"at": datetime(2025, 1, 1)}, "payload.at"),
        ({"x": object()}, "payload.x"),
        ({"x": {1: "a"}}, "payload.x[1]"),
        ({"x": ["ok", "\ud800"]}, "payload.x[1]"),
    ],
)
def test_values_json_cannot_carry_are_refused_naming_the_key(
    payload: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        canonical_json(payload)

    assert caught.value.field == field


def test_a_non_mapping_payload_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="payload"):
        canonical_json(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_time_is_fixed_width_utc_with_z_and_round_trips() -> None:
    moment = datetime(2025, 6, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=-5)))

    text = format_time(moment)

    assert text == "2025-06-01T07:03:04.000000Z"
    assert parse_time(text) == moment.astimezone(UTC)
