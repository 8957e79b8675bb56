"""With tracing on, every journal write is a ``quorum.journal.append`` span under the
span of the stage it records, naming its kinds, entry count and seq range."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine

from quorum.clock import ReplayClock
from quorum.domain import JournalKind
from quorum.journal import Draft, Journal
from quorum.store import session_scope
from quorum.telemetry.tracing import configure_tracing, span, tracing_active


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    assert configure_tracing("quorum-test", processor=SimpleSpanProcessor(memory)) is not None
    return memory


def test_appends_are_spans_under_the_recording_stage_with_kind_count_and_seqs(
    exporter: InMemorySpanExporter, engine: Engine, clock: ReplayClock
) -> None:
    journal = Journal(engine, clock)
    exporter.clear()

    with span("quorum.execute") as stage, session_scope(engine) as session:
        journal.append(session, JournalKind.INTENT, {"qty": "1"}, actor="t")
        journal.append_many(
            session,
            [
                Draft(JournalKind.ORDER_UPDATE, {"state": "new"}, "t"),
                Draft(JournalKind.FILL, {"qty": "1"}, "t"),
            ],
        )

    assert tracing_active()
    appends = [s for s in exporter.get_finished_spans() if s.name == "quorum.journal.append"]
    assert [dict(s.attributes or {}) for s in appends] == [
        {
            "quorum.journal.kind": "intent",
            "quorum.journal.entries": 1,
            "quorum.journal.first_seq": 1,
            "quorum.journal.last_seq": 1,
        },
        {
            "quorum.journal.kind": "fill,order_update",
            "quorum.journal.entries": 2,
            "quorum.journal.first_seq": 2,
            "quorum.journal.last_seq": 3,
        },
    ]
    for item in appends:
        assert item.parent is not None
        assert item.parent.span_id == stage.get_span_context().span_id
