"""Canonical time text: the exact UTC timestamps that are stored, hashed and sent.

``format_time`` renders ``2025-01-02T03:04:05.000006Z`` (fixed width, so text order is
time order); ``parse_time`` reads it back. The journal's canonical JSON, the stores and
the paper venue's wire format all use these two, so they live with the domain values.
"""

from __future__ import annotations

from datetime import UTC, datetime

from quorum.errors import ClockError


def ensure_utc(value: datetime, field: str = "time") -> datetime:
    """Return ``value`` converted to UTC; refuse naive datetimes."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockError(f"{field}: must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC)


def format_time(value: datetime) -> str:
    """``2025-01-02T03:04:05.000006Z``: fixed width, so text order is time order."""
    if type(value) is datetime and value.tzinfo is UTC:
        # A plain datetime in UTC always renders ``…+00:00``: swap the offset for ``Z``.
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    value = ensure_utc(value, "time")
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """The datetime of a canonical time string (UTC)."""
    return datetime.fromisoformat(text).astimezone(UTC)
