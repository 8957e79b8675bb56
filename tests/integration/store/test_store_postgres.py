"""Migrations and engines on a real PostgreSQL, inside a private schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from tests.pg import private_schema

from quorum.store import (
    JOURNAL_TABLE_NAME,
    create_engine_for,
    current_revision,
    downgrade,
    head_revision,
    migrate,
)


@pytest.fixture
def schema_engine(postgres_url: str) -> Iterator[Engine]:
    with private_schema(postgres_url, "qs") as schema:
        engine = create_engine_for(postgres_url, schema=schema)
        try:
            yield engine
        finally:
            engine.dispose()


def test_migrate_builds_the_journal_in_the_engines_schema(schema_engine: Engine) -> None:
    migrate(schema_engine)
    migrate(schema_engine)

    with schema_engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        assert schema is not None
        assert schema.startswith("qs_")
    assert JOURNAL_TABLE_NAME in inspect(schema_engine).get_table_names(schema=schema)
    assert current_revision(schema_engine) == head_revision()


def test_the_journal_table_refuses_updates_and_deletes(schema_engine: Engine) -> None:
    migrate(schema_engine)
    with schema_engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {JOURNAL_TABLE_NAME} "
                "VALUES (1, 't', 'k', 'a', NULL, '{}', 'p', 'h')"
            )
        )

    for statement in ("UPDATE journal_entries SET actor = 'x'", "DELETE FROM journal_entries"):
        with pytest.raises(DBAPIError, match="append-only"), schema_engine.begin() as conn:
            conn.execute(text(statement))


def test_downgrade_removes_the_table_and_its_guard(schema_engine: Engine) -> None:
    migrate(schema_engine)

    downgrade(schema_engine, "base")

    assert JOURNAL_TABLE_NAME not in inspect(schema_engine).get_table_names()
    assert current_revision(schema_engine) is None


def test_a_postgresql_url_without_driver_is_driven_by_psycopg(postgres_url: str) -> None:
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    engine = create_engine_for(plain)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
