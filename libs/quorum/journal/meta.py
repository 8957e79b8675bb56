"""The journal's own facts, kept in the journal's database (table ``journal_meta``).

* ``journal_id``: a random id written once by the migration that created the table. A
  copy, backup or restore of the database keeps it (it is the same journal); two
  databases never share it. Default checkpoint locations and every checkpoint's signed
  ``journal`` field carry it, so checkpoints of two databases cannot be confused.
* ``checkpointed``: written (once) after the journal's first checkpoint was stored, as
  ``<size> <time>`` of that checkpoint. A journal that has it and then finds no
  checkpoints reports ``checkpoints_missing`` instead of "0 checkpoints".

Rows are append-only (triggers refuse UPDATE and DELETE). A database migrated before
the table existed has neither row; readers return ``None`` then.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from quorum.journal.rows import reader
from quorum.store import JOURNAL_META_TABLE_NAME

JOURNAL_ID = "journal_id"
CHECKPOINTED = "checkpointed"
_SELECT = text(f"SELECT key, value FROM {JOURNAL_META_TABLE_NAME}")  # noqa: S608
_INSERT = text(f"INSERT INTO {JOURNAL_META_TABLE_NAME} (key, value) VALUES (:key, :value)")  # noqa: S608


class JournalMeta(NamedTuple):
    journal_id: str | None
    checkpointed: str | None
    """``<size> <time>`` of the first checkpoint ever stored, or None."""


def read_meta_in(conn: Connection) -> JournalMeta:
    """The journal's facts through ``conn`` (in its transaction)."""
    if not inspect(conn).has_table(JOURNAL_META_TABLE_NAME):
        return JournalMeta(None, None)
    values = {str(k): str(v) for k, v in conn.execute(_SELECT)}
    return JournalMeta(values.get(JOURNAL_ID), values.get(CHECKPOINTED))


def read_meta(engine: Engine) -> JournalMeta:
    with reader(engine) as conn, conn.begin():
        return read_meta_in(conn)


def journal_id(engine: Engine) -> str | None:
    """The identity of the journal in ``engine``'s database (None: not migrated to 0010)."""
    return read_meta(engine).journal_id


def record_checkpointed(engine: Engine, size: int, time: str) -> bool:
    """Remember that this journal has checkpoints; False when it already knew (or the
    table does not exist yet)."""
    with engine.connect() as conn, conn.begin():
        meta = read_meta_in(conn)
        if meta.journal_id is None or meta.checkpointed is not None:
            return False
        try:
            with conn.begin_nested():
                conn.execute(_INSERT, {"key": CHECKPOINTED, "value": f"{size} {time}"})
        except IntegrityError:  # another process recorded it first
            return False
    return True
