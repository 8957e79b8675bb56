"""The audit journal's append-only table (hashing and verification live in quorum.journal).

Every column is stored exactly as it was hashed: ``time`` is the canonical ISO-8601
string and ``payload`` the canonical JSON text, so no database type round trip can
change what a verifier re-hashes. ``seq`` is the primary key: two writers can never
both commit the same sequence number, so the chain cannot fork even if locking failed.
On SQLite ``seq`` is an ``INTEGER PRIMARY KEY`` (the rowid); on PostgreSQL a BIGINT.
The migration adds triggers that refuse UPDATE and DELETE (append-only).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

JOURNAL_TABLE_NAME = "journal_entries"


class JournalRecord(SQLModel, table=True):
    """One stored link of the hash chain."""

    __tablename__ = JOURNAL_TABLE_NAME

    seq: int = Field(
        sa_column=Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        )
    )
    time: str = Field(sa_column=Column("time", String(40), nullable=False))
    kind: str = Field(sa_column=Column("kind", String(40), nullable=False))
    actor: str = Field(sa_column=Column("actor", String(120), nullable=False))
    run_id: str | None = Field(default=None, sa_column=Column("run_id", String(64)))
    payload: str = Field(sa_column=Column("payload", Text(), nullable=False))
    prev_hash: str = Field(sa_column=Column("prev_hash", String(64), nullable=False))
    hash: str = Field(sa_column=Column("hash", String(64), nullable=False))


def journal_table() -> Table:
    """The Core ``Table`` behind :class:`JournalRecord` (used by the append hot path)."""
    return SQLModel.metadata.tables[JOURNAL_TABLE_NAME]


JOURNAL_META_TABLE_NAME = "journal_meta"


class JournalMetaRecord(SQLModel, table=True):
    """The journal's own facts, append-only: ``journal_id`` (its identity, written by the
    migration) and ``checkpointed`` (written when its first checkpoint was stored)."""

    __tablename__ = JOURNAL_META_TABLE_NAME

    key: str = Field(sa_column=Column("key", String(40), primary_key=True))
    value: str = Field(sa_column=Column("value", Text(), nullable=False))
