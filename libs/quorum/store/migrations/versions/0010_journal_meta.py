"""journal_meta: the journal's identity and whether it was ever checkpointed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

``journal_id`` is a fresh random id written once per database (a copy or a restore of
the database keeps it: it is the same journal). Checkpoints are namespaced by it, so two
databases never share or confuse checkpoints. ``checkpointed`` is written when the first
checkpoint is stored: a journal that has it and finds no checkpoints reports
``checkpoints_missing``. Rows are append-only, like the journal.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = "journal_meta is append-only"

_SQLITE_TRIGGERS = (
    "CREATE TRIGGER journal_meta_no_update BEFORE UPDATE ON journal_meta "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}: UPDATE refused'); END",
    "CREATE TRIGGER journal_meta_no_delete BEFORE DELETE ON journal_meta "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}: DELETE refused'); END",
)

_POSTGRES_TRIGGERS = (
    "CREATE FUNCTION journal_meta_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{_REFUSE}: % refused', TG_OP; END $$",
    "CREATE TRIGGER journal_meta_append_only "
    "BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_meta "
    "FOR EACH STATEMENT EXECUTE FUNCTION journal_meta_append_only()",
)


def upgrade() -> None:
    table = op.create_table(
        "journal_meta",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_journal_meta")),
    )
    op.bulk_insert(table, [{"key": "journal_id", "value": uuid.uuid4().hex}])
    dialect = op.get_bind().dialect.name
    triggers = _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS
    for statement in triggers if dialect in ("postgresql", "sqlite") else ():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS journal_meta_append_only ON journal_meta")
        op.execute("DROP FUNCTION IF EXISTS journal_meta_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS journal_meta_no_update")
        op.execute("DROP TRIGGER IF EXISTS journal_meta_no_delete")
    op.drop_table("journal_meta")
