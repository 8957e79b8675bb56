"""PostgreSQL fixtures for the journal chaos tests: a private, migrated schema each."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from quorum.store import create_engine_for, migrate


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A fresh schema holding a migrated journal; dropped afterwards."""
    schema = f"qc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine_for(postgres_url, schema=schema)
    migrate(engine)
    engine.dispose()
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def pg_engine(postgres_url: str, pg_schema: str) -> Iterator[Engine]:
    engine = create_engine_for(postgres_url, schema=pg_schema)
    yield engine
    engine.dispose()
