"""PostgreSQL fixtures for the journal chaos tests: the integration tests' private schemas."""

from __future__ import annotations

from tests.integration.journal.conftest import pg_engine, pg_schema

__all__ = ["pg_engine", "pg_schema"]
