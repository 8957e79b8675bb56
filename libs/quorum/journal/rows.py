"""Reading stored rows: the column order every reader uses, streaming and windows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, Select, select

from quorum.domain import JournalEntry, JournalKind, format_time, parse_time
from quorum.errors import JournalIntegrityError
from quorum.store import JOURNAL_TABLE_NAME, SQLITE_BEGIN_OPTION, journal_table

STREAM_BATCH = 5_000
COLUMNS = "seq, time, kind, actor, run_id, payload, prev_hash, hash"


class StoredRow(NamedTuple):
    """One row exactly as stored (column order of the table)."""

    seq: int
    time: str
    kind: str
    actor: str
    run_id: str | None
    payload: str
    prev_hash: str
    hash: str


def _columns() -> Select[tuple[int, str, str, str, str | None, str, str, str]]:
    t = journal_table()
    return select(
        t.c.seq, t.c.time, t.c.kind, t.c.actor, t.c.run_id, t.c.payload, t.c.prev_hash, t.c.hash
    )


def reader(engine: Engine) -> Connection:
    """A connection for reading: a deferred BEGIN on SQLite (writers are not blocked)."""
    return engine.connect().execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def placeholder(conn: Connection) -> str:
    """The DB-API parameter marker of ``conn``'s driver (sqlite3: ``?``, psycopg: ``%s``)."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


def raw_connection(conn: Connection) -> Any:
    """The driver connection under ``conn`` (same transaction), for the hot paths."""
    return conn.connection.dbapi_connection


@contextmanager
def row_cursor(
    conn: Connection, after_seq: int | None = None, batch: int = STREAM_BATCH
) -> Iterator[Any]:
    """A driver cursor over the rows with ``seq > after_seq`` (all rows, including any
    seq below 1, by default) in seq order, as plain tuples in the column order of
    :class:`StoredRow`; iterate it directly. Runs inside ``conn``'s transaction (a named,
    server-side cursor fetching ``batch`` rows at a time on PostgreSQL): re-hashing speed
    is bounded by SHA-256 and the driver, not by result-row wrappers or batch lists."""
    raw = raw_connection(conn)
    if conn.dialect.name == "postgresql":
        cursor = raw.cursor(name=f"quorum_journal_{uuid.uuid4().hex[:12]}")
        cursor.itersize = batch
    else:
        cursor = raw.cursor()
        cursor.arraysize = batch
    try:
        select_all = f"SELECT {COLUMNS} FROM {JOURNAL_TABLE_NAME}"  # noqa: S608 - constants
        if after_seq is None:
            cursor.execute(f"{select_all} ORDER BY seq")
        else:
            cursor.execute(
                f"{select_all} WHERE seq > {placeholder(conn)} ORDER BY seq", (after_seq,)
            )
        yield cursor
    finally:
        cursor.close()


def stream_rows(
    conn: Connection, after_seq: int | None = None, batch: int = STREAM_BATCH
) -> Iterator[Sequence[tuple[Any, ...]]]:
    """The rows of :func:`row_cursor`, in lists of up to ``batch``."""
    with row_cursor(conn, after_seq, batch) as cursor:
        while rows := cursor.fetchmany(batch):
            yield rows


def window(conn: Connection, after_seq: int, size: int) -> list[StoredRow]:
    """Up to ``size`` rows with ``seq > after_seq``, in seq order."""
    t = journal_table()
    statement = _columns().where(t.c.seq > after_seq).order_by(t.c.seq).limit(size)
    return [StoredRow._make(row) for row in conn.execute(statement)]


def select_entries(
    *,
    since_seq: int | None = None,
    since_time: datetime | None = None,
    kinds: Sequence[JournalKind | str] | None = None,
    limit: int | None = None,
    newest_first: bool = False,
    run_id: str | None = None,
) -> Select[tuple[int, str, str, str, str | None, str, str, str]]:
    """The query behind ``Journal.read`` (``since_*`` are inclusive)."""
    t = journal_table()
    statement = _columns()
    if since_seq is not None:
        statement = statement.where(t.c.seq >= since_seq)
    if since_time is not None:
        # Canonical times are fixed-width UTC strings: text order is time order.
        statement = statement.where(t.c.time >= format_time(since_time))
    if kinds:
        statement = statement.where(t.c.kind.in_([JournalKind(k).value for k in kinds]))
    if run_id is not None:
        statement = statement.where(t.c.run_id == run_id)
    statement = statement.order_by(t.c.seq.desc() if newest_first else t.c.seq)
    if limit is not None:
        statement = statement.limit(limit)
    return statement


def to_entry(row: StoredRow) -> JournalEntry:
    """The domain entry of a stored row; a row that does not parse names its seq."""
    try:
        payload = json.loads(row.payload)
        return JournalEntry(
            seq=row.seq,
            time=parse_time(row.time),
            kind=JournalKind(row.kind),
            actor=row.actor,
            run_id=row.run_id,
            payload=payload,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
    except (ValueError, ValidationError) as exc:
        raise JournalIntegrityError(
            f"journal entry {row.seq}: stored row does not parse as an entry "
            f"({type(exc).__name__}); run `quorum journal verify`"
        ) from None
