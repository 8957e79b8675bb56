"""PostgreSQL fixtures for the execution integration tests: the journal tests' private,
migrated schemas (``migrate`` creates every table, the execution ones included)."""

from __future__ import annotations

from tests.integration.journal.conftest import pg_schema

__all__ = ["pg_schema"]
