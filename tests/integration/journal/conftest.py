"""PostgreSQL fixtures for the journal integration tests: a private, migrated schema each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from tests.pg import private_schema

from quorum.store import create_engine_for, migrate


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A fresh schema holding a migrated journal; dropped afterwards."""
    with private_schema(postgres_url, "qj") as schema:
        engine = create_engine_for(postgres_url, schema=schema)
        migrate(engine)
        engine.dispose()
        yield schema


@pytest.fixture
def pg_engine(postgres_url: str, pg_schema: str) -> Iterator[Engine]:
    engine = create_engine_for(postgres_url, schema=pg_schema)
    yield engine
    engine.dispose()
