"""The hot paths give exactly what the plain code they replace gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from tests.unit.journal.journal_kit import START, fill, make_journal, stored

from quorum.clock import ReplayClock
from quorum.domain import JournalEntry, JournalKind, format_time
from quorum.errors import ClockError
from quorum.journal import GENESIS_HASH, Draft, canonical_json, entry_hash
from quorum.journal.rows import StoredRow, reader, row_cursor, stream_rows
from quorum.journal.verify import _Walk
from quorum.store import session_scope


class _Moment(datetime):
    """A datetime subclass: takes the general path of format_time."""


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2025, 6, 1, 7, 3, 4, 5, tzinfo=UTC),
        datetime(2025, 6, 1, 9, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 6, 1, 7, 3, 4, 5, tzinfo=ZoneInfo("UTC")),
        _Moment(2025, 6, 1, 7, 3, 4, 5, tzinfo=UTC),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    ],
)
def test_format_time_is_the_canonical_utc_text_on_every_path(moment: datetime) -> None:
    expected = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")

    assert format_time(moment) == expected + "Z"


def test_format_time_still_refuses_a_naive_datetime() -> None:
    with pytest.raises(ClockError):
        format_time(datetime(2025, 1, 1))


@pytest.mark.parametrize(
    "payload",
    [
        {"b": 1, "a": [1.5, None, True], "c": {"z": "x", "y": "y"}},
        {"ü": "ß", "emoji": "\U0001f600", "ctl": "a\x1fb\n"},
        {},
    ],
)
def test_canonical_text_is_json_dumps_with_the_documented_options(payload: dict[str, Any]) -> None:
    text, normal = canonical_json(payload)

    assert text == json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert normal == payload


class _OffsetClock(ReplayClock):
    """Hands out the replayed time in UTC+02:00 (an aware, non-UTC datetime)."""

    def now(self) -> datetime:
        return super().now().astimezone(timezone(timedelta(hours=2)))


def test_an_aware_non_utc_clock_time_is_stored_and_returned_in_utc(engine: Engine) -> None:
    journal = make_journal(engine, _OffsetClock(START))
    with session_scope(engine) as session:
        entry = journal.append(session, JournalKind.RUN, {"x": 1}, actor="runner")

    (row,) = stored(engine)
    assert row.time == "2025-03-01T12:00:00.000000Z"
    assert entry.time == START
    assert entry.time.tzinfo is UTC


def test_returned_entries_are_fully_validated_domain_values(
    engine: Engine, clock: ReplayClock
) -> None:
    journal = make_journal(engine, clock)
    with session_scope(engine) as session:
        single = journal.append(session, JournalKind.FILL, {"q": "1"}, actor="a", run_id="r")
        batch = journal.append_many(session, [Draft(JournalKind.SCAN, {"n": [1]}, "b")] * 2)

    for entry in (single, *batch):
        assert type(entry) is JournalEntry
        assert entry == JournalEntry.model_validate(entry.model_dump())
        assert entry.model_fields_set == set(JournalEntry.model_fields)
        assert JournalEntry.model_validate_json(entry.model_dump_json()) == entry
        with pytest.raises(ValidationError, match="frozen"):
            entry.seq = 99  # type: ignore[misc]
    assert [e.seq for e in (single, *batch)] == [1, 2, 3]


def test_row_cursor_yields_the_rows_stream_rows_yields(engine: Engine, clock: ReplayClock) -> None:
    fill(make_journal(engine, clock), 7)

    with reader(engine) as conn, conn.begin():
        with row_cursor(conn) as cursor:
            direct = [tuple(row) for row in cursor]
        with row_cursor(conn, after_seq=4, batch=2) as cursor:
            tail = [tuple(row) for row in cursor]
        batched = [tuple(row) for rows in stream_rows(conn, batch=3) for row in rows]

    assert direct == batched == [tuple(row) for row in stored(engine)]
    assert [row[0] for row in tail] == [5, 6, 7]


def _chain(count: int) -> list[StoredRow]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        time = format_time(START + timedelta(seconds=seq))
        digest = entry_hash(seq, time, "fill", "actor", None, prev, "{}")
        rows.append(StoredRow(seq, time, "fill", "actor", None, "{}", prev, digest))
        prev = digest
    return rows


def test_a_walk_interrupted_by_a_read_error_ends_at_the_last_good_row() -> None:
    rows = _chain(5)

    def failing() -> Iterator[StoredRow]:
        yield from rows[:3]
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    walk = _Walk(sizes=[2])
    with pytest.raises(UnicodeDecodeError):
        walk.feed(failing())

    assert (walk.count, walk.head, walk.at, walk.bad) == (3, rows[2].hash, {2: rows[1].hash}, None)
    assert walk.feed(rows[3:])
    assert (walk.count, walk.head) == (5, rows[4].hash)


def test_a_walk_stops_at_the_first_bad_row_with_the_good_prefix_counted() -> None:
    rows = _chain(4)
    rows[2] = rows[2]._replace(payload='{"x":1}')

    walk = _Walk(sizes=[])

    assert not walk.feed(iter(rows))
    assert (walk.count, walk.head, walk.bad) == (2, rows[1].hash, rows[2])
