"""journal_entries: the append-only, hash-chained audit journal

Revision ID: 0001
Revises:
Create Date: 2025-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = "journal_entries is append-only"

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}: UPDATE refused'); END",
    "CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}: DELETE refused'); END",
)

_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION journal_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_REFUSE}: % refused', TG_OP; END $$",
    "CREATE TRIGGER journal_entries_append_only "
    "BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION journal_entries_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "journal_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal_entries")),
    )
    dialect = op.get_bind().dialect.name
    triggers = _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS
    for statement in triggers if dialect in ("postgresql", "sqlite") else ():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_entries_append_only ON journal_entries")
        op.execute("DROP FUNCTION IF EXISTS journal_entries_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS journal_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS journal_entries_no_delete")
    op.drop_table("journal_entries")
