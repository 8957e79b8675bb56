"""Canonical JSON: the exact text that is stored and hashed.

Canonical time (``format_time`` / ``parse_time``) is a domain codec,
:mod:`quorum.domain.codecs`, shared with the stores and the paper venue.

Canonical JSON: object keys sorted, no whitespace, UTF-8 (non-ASCII kept as is),
``Decimal`` as its string (``Decimal("1.50")`` → ``"1.50"``), datetimes as ISO-8601 UTC
with microseconds and a ``Z`` suffix, dates as ``YYYY-MM-DD``, enums as their value,
UUIDs and paths as strings, pydantic models as their JSON-mode dump, tuples/lists as
arrays. NaN, infinities, non-string keys, lone surrogates and any other type are
refused with a :class:`~quorum.errors.ValidationFailed` naming the payload key path.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from quorum.domain.codecs import format_time
from quorum.errors import ClockError, ValidationFailed

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

_MAX_DEPTH = 64

_ENCODE = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
"""``json.dumps`` with these options, without building an encoder per call."""


def canonical_json(payload: Mapping[str, Any]) -> tuple[str, dict[str, JsonValue]]:
    """The canonical JSON text of ``payload`` and the JSON-compatible dict it encodes."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed("payload", "must be a mapping of str keys", type(payload).__name__)
    normal = _object(payload, "payload", 0)
    text = _ENCODE(normal)
    if text.isascii():  # O(1): pure ASCII cannot hold a lone surrogate
        return text, normal
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        _find_surrogate(normal, "payload")
        raise ValidationFailed("payload", "text must be valid Unicode") from None
    return text, normal


def _object(value: Mapping[Any, Any], path: str, depth: int) -> dict[str, JsonValue]:
    if depth > _MAX_DEPTH:
        raise ValidationFailed(path, f"nesting deeper than {_MAX_DEPTH} levels")
    out: dict[str, JsonValue] = {}
    for key, item in value.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise ValidationFailed(f"{path}[{key!r}]", "keys must be str", type(key).__name__)
            key = str(key)
        kind = type(item)
        if kind in _PLAIN:  # the common case, without the isinstance ladder
            out[key] = item
            if kind is float and not math.isfinite(item):
                raise ValidationFailed(f"{path}.{key}", "must be a finite number", item)
        elif kind is Decimal and item.is_finite():  # prices and quantities
            out[key] = str(item)
        else:
            out[key] = _value(item, f"{path}.{key}", depth + 1)
    return out


_PLAIN: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _value(value: Any, path: str, depth: int) -> JsonValue:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return _value(value.value, path, depth)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationFailed(path, "must be a finite number", value)
        return float(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationFailed(path, "must be a finite decimal", str(value))
        return str(value)
    if isinstance(value, datetime):
        try:
            return format_time(value)
        except ClockError:
            raise ValidationFailed(path, "datetime must be timezone-aware", str(value)) from None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | PurePath):
        return str(value)
    if isinstance(value, BaseModel):
        return _value(value.model_dump(mode="json"), path, depth)
    if isinstance(value, Mapping):
        return _object(value, path, depth)
    if isinstance(value, list | tuple):
        if depth > _MAX_DEPTH:
            raise ValidationFailed(path, f"nesting deeper than {_MAX_DEPTH} levels")
        return [_value(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    raise ValidationFailed(
        path,
        "must be JSON-compatible (None, bool, int, float, str, Decimal, datetime, date, "
        "Enum, UUID, list, tuple, dict or a pydantic model)",
        type(value).__name__,
    )


def _find_surrogate(value: JsonValue, path: str) -> None:
    """Raise naming the first key or string (depth-first) that is not valid Unicode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationFailed(path, "text must be valid Unicode (lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _find_surrogate(key, f"{path}[key {key!r}]")
            _find_surrogate(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _find_surrogate(item, f"{path}[{index}]")
