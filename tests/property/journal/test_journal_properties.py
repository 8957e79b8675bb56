"""Properties: any sequence of appends verifies; any one-byte change to any stored field of
any entry is found, at that entry's seq."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from tests.unit.journal.journal_kit import START, stored

from quorum.clock import ReplayClock
from quorum.domain import JournalKind
from quorum.journal import DamageKind, Draft, Journal
from quorum.store import create_engine_for, journal_table, metadata, session_scope

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=8), values, max_size=4)
labels = st.text(
    alphabet=st.characters(
        min_codepoint=0x20, exclude_characters="\x7f", exclude_categories=["Cs"]
    ),
    min_size=1,
    max_size=12,
)
drafts = st.builds(
    Draft,
    kind=st.sampled_from(list(JournalKind)),
    payload=payloads,
    actor=labels,
    run_id=st.none() | labels,
)


@contextmanager
def fresh_journal() -> Iterator[Journal]:
    """An in-memory journal (no append-only triggers: the tests play the attacker)."""
    engine = create_engine_for("sqlite://")
    metadata.create_all(engine, tables=[journal_table()])
    try:
        yield Journal(engine, ReplayClock(START))
    finally:
        engine.dispose()


def append_all(journal: Journal, batches: list[list[Draft]], clock_step: int = 1) -> None:
    clock = journal._clock
    assert isinstance(clock, ReplayClock)
    for batch in batches:
        with session_scope(journal.engine) as session:
            for draft in batch:
                journal.append(session, draft.kind, draft.payload, draft.actor, draft.run_id)
        clock.advance(timedelta(milliseconds=clock_step))


@PROPERTY
@given(batches=st.lists(st.lists(drafts, min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_sequence_of_appends_verifies(batches: list[list[Draft]]) -> None:
    with fresh_journal() as journal:
        append_all(journal, batches)

        report = journal.verify()

        assert report.ok, report.summary()
        assert report.count == sum(len(batch) for batch in batches)
        assert report.head_hash == stored(journal.engine)[-1].hash


TEXT_FIELDS = ("time", "kind", "actor", "run_id", "payload", "prev_hash", "hash")


def flip_text(value: str, index: int, byte: int) -> bytes:
    raw = bytearray(value.encode("utf-8"))
    position = index % len(raw)
    assume(raw[position] != byte)
    raw[position] = byte
    return bytes(raw)


def store_field(engine: Engine, seq: int, field: str, value: Any) -> None:
    with engine.begin() as conn:
        if isinstance(value, bytes):  # stored as TEXT even when not valid UTF-8
            conn.execute(
                text(f"UPDATE journal_entries SET {field} = CAST(:v AS TEXT) WHERE seq = :s"),
                {"v": value, "s": seq},
            )
        else:
            conn.execute(
                text(f"UPDATE journal_entries SET {field} = :v WHERE seq = :s"),
                {"v": value, "s": seq},
            )


@PROPERTY
@given(
    batch=st.lists(drafts, min_size=1, max_size=8),
    data=st.data(),
)
def test_any_single_byte_change_to_any_stored_field_is_found_at_its_seq(
    batch: list[Draft], data: st.DataObject
) -> None:
    with fresh_journal() as journal:
        append_all(journal, [batch])
        rows = stored(journal.engine)
        seq = data.draw(st.integers(min_value=1, max_value=len(rows)), label="seq")
        row = rows[seq - 1]
        fields = [f for f in ("seq", *TEXT_FIELDS) if getattr(row, f) not in (None, "")]
        field = data.draw(st.sampled_from(fields), label="field")
        index = data.draw(st.integers(min_value=0, max_value=10_000), label="index")
        byte = data.draw(st.integers(min_value=0, max_value=255), label="byte")
        if field == "seq":
            raw = bytearray(struct.pack(">q", row.seq))
            position = index % 8
            assume(raw[position] != byte)
            raw[position] = byte
            new_seq = struct.unpack(">q", bytes(raw))[0]
            assume(not 1 <= new_seq <= len(rows))
            store_field(journal.engine, seq, "seq", new_seq)
        else:
            changed = flip_text(getattr(row, field), index, byte)
            try:
                store_field(journal.engine, seq, field, changed.decode("utf-8"))
            except UnicodeDecodeError:
                store_field(journal.engine, seq, field, changed)

        report = journal.verify()

        assert not report.ok
        assert report.first_bad_seq == seq, report.summary()
        expected = (
            {DamageKind.MODIFIED, DamageKind.DELETED} if field == "seq" else {DamageKind.MODIFIED}
        )
        assert report.damage in expected, report.summary()


@PROPERTY
@given(value=values)
def test_a_payload_value_round_trips_through_canonical_json(value: Any) -> None:
    with fresh_journal() as journal:
        with session_scope(journal.engine) as session:
            entry = journal.append(session, "scan", {"v": value}, actor="p")

        assert journal.read()[0].payload == entry.payload
        if isinstance(value, Decimal):
            assert entry.payload["v"] == str(value)
