"""Insert-if-absent, the idempotent write behind derived keys (task runs, orders, fills …),
and insert-or-advance, the one-statement write of a monotonic mark (scan marks)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.errors import ConfigError


@functools.cache
def insert_ignore_statement(table_name: str, dialect: str) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING <first key column>``, built once."""
    table = SQLModel.metadata.tables[table_name]
    values: dict[str, Any] = {c.name: bindparam(c.name) for c in table.columns}
    key = next(iter(table.primary_key.columns))
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing().returning(key)
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_nothing().returning(key)
    raise ConfigError(f"database dialect {dialect!r}: expected sqlite or postgresql")


def insert_ignore(session: Session, table_name: str, row: Mapping[str, Any]) -> bool:
    """Insert ``row`` unless its primary key exists; True when this call inserted it.

    RETURNING yields the row only when it was inserted (rowcount is unreliable here)."""
    stmt = insert_ignore_statement(table_name, session.get_bind().dialect.name)
    return session.execute(stmt, dict(row)).first() is not None


@functools.cache
def advance_statement(table_name: str, dialect: str, column: str) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET <every other column> = excluded.…
    WHERE <table>.<column> < excluded.<column>``, built once: the row is inserted, or
    replaces the stored one only when its ``column`` is greater (a mark never moves back)."""
    table = SQLModel.metadata.tables[table_name]
    values: dict[str, Any] = {c.name: bindparam(c.name) for c in table.columns}
    keys = [c.name for c in table.primary_key.columns]
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(values)
    else:
        raise ConfigError(f"database dialect {dialect!r}: expected sqlite or postgresql")
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: excluded[c.name] for c in table.columns if c.name not in keys},
        where=table.c[column] < excluded[column],
    )


def insert_or_advance(
    session: Session, table_name: str, row: Mapping[str, Any], column: str
) -> None:
    """Insert ``row``, or overwrite the stored row of its key when ``row[column]`` is greater."""
    stmt = advance_statement(table_name, session.get_bind().dialect.name, column)
    session.execute(stmt, dict(row))
