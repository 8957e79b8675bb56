"""The one ``MetaData`` every Quorum table registers on (SQLModel's), with naming rules.

Constraint and index names follow :data:`NAMING_CONVENTION` so that Alembic migrations
can refer to them by name on every backend (SQLite batch mode needs named constraints).
Table modules live in :mod:`quorum.store.tables`; importing them through
``quorum.store`` guarantees the convention is in place before a table is declared.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION

__all__ = ["NAMING_CONVENTION", "SQLModel", "metadata"]
