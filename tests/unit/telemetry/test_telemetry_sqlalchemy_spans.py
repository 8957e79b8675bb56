"""SQLAlchemy 2.1 statement spans through the maintained instrumentation's engine listeners."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quorum.telemetry.tracing import configure_tracing, instrument_engine, span


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    assert configure_tracing("quorum-test", processor=SimpleSpanProcessor(memory)) is not None
    return memory


def test_sqlalchemy_version_is_outside_the_instrumentations_declared_range() -> None:
    # Why instrument_engine attaches EngineTracer itself: the instrumentor refuses 2.1.
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    assert sa.__version__.startswith("2.1")
    conflict = SQLAlchemyInstrumentor()._check_dependency_conflicts()
    assert conflict is not None
    assert "sqlalchemy" in str(conflict.required)


def test_statements_become_db_spans_that_are_children_of_our_span(
    exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'spans.db'}")
    assert instrument_engine(engine) is True
    exporter.clear()
    with span("quorum.commit") as parent, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE journal_entries (seq INTEGER, payload TEXT)"))
        conn.execute(sa.text("INSERT INTO journal_entries VALUES (:s, :p)"), {"s": 1, "p": "x"})
        rows = conn.execute(sa.text("SELECT seq FROM journal_entries")).all()
    engine.dispose()

    assert rows == [(1,)]
    spans = exporter.get_finished_spans()
    ours = parent.get_span_context()
    db = [s for s in spans if (s.attributes or {}).get("db.system") == "sqlite"]
    statements = [str((s.attributes or {})["db.statement"]) for s in db]
    assert statements == [
        "CREATE TABLE journal_entries (seq INTEGER, payload TEXT)",
        "INSERT INTO journal_entries VALUES (?, ?)",
        "SELECT seq FROM journal_entries",
    ]
    assert [s.name.split()[0] for s in db] == ["CREATE", "INSERT", "SELECT"]  # + db name
    for item in db:
        assert item.parent is not None
        assert item.parent.span_id == ours.span_id
        assert item.context.trace_id == ours.trace_id


def test_an_engine_is_instrumented_once_so_a_statement_is_one_span(
    exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'once.db'}")
    assert instrument_engine(engine) is True
    assert instrument_engine(engine) is False
    exporter.clear()
    with span("quorum.test"), engine.connect() as conn:
        conn.execute(sa.text("SELECT 42")).all()
    engine.dispose()

    selects = [s for s in exporter.get_finished_spans() if (s.attributes or {}).get("db.statement")]
    assert len(selects) == 1


def test_an_engine_nobody_instrumented_makes_no_db_spans(
    exporter: InMemorySpanExporter, tmp_path: Path
) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    exporter.clear()
    with span("quorum.test"), engine.connect() as conn:
        conn.execute(sa.text("SELECT 1")).all()
    engine.dispose()

    assert [s.name for s in exporter.get_finished_spans()] == ["quorum.test"]
