"""Alembic environment for Quorum: run by ``quorum.store.migrate()``, never by an ini file.

The caller hands over an open connection in ``config.attributes["connection"]`` (its
transaction commits the migration); otherwise ``sqlalchemy.url`` is used. Offline mode
(``--sql``) renders the SQL for the URL's dialect.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import quorum.store.tables  # noqa: F401  (registers every table on the metadata)
from quorum.store.base import metadata
from quorum.store.engine import create_engine_for

_MIGRATION_LOCK_KEY = 0x51524D4D  # "QRMM": one migration at a time per PostgreSQL database


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: no connection handed over and no sqlalchemy.url set")
    engine = create_engine_for(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
