"""The PostgreSQL checkpointer (cluster mode): another worker resumes an analysis."""

from __future__ import annotations

import psycopg
from tests.unit.agents.test_agents_persistent_checkpoints import _resume_in_a_fresh_graph

from quorum.agents import postgres_checkpointer


def test_postgres_checkpoints_let_another_worker_resume(postgres_url: str) -> None:
    schema = "agents_checkpoints_test"
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    scoped = f"{postgres_url}?options=-csearch_path%3D{schema}"
    try:
        _resume_in_a_fresh_graph(lambda: postgres_checkpointer(scoped))
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
