"""trading_state: the account's one trading state (active / reducing / halted)

Replaces the ``kill_switch`` row of ``execution_switches`` (an engaged switch becomes
``halted``; the row is removed). The risk state's own copy (``RulesState.kill_switch``) is
no longer stored: it is read from this row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = 40


def upgrade() -> None:
    table = op.create_table(
        "trading_state",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
        sa.Column("changed_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    bind = op.get_bind()
    switches = sa.table(
        "execution_switches",
        sa.column("name", sa.String),
        sa.column("engaged", sa.Boolean),
        sa.column("actor", sa.String),
        sa.column("reason", sa.String),
        sa.column("changed_at", sa.String),
    )
    old = bind.execute(sa.select(switches).where(switches.c.name == "kill_switch")).first()
    if old is not None and old.engaged:
        row = {
            "name": "global",
            "state": "halted",
            "version": 1,
            "actor": old.actor,
            "reason": old.reason,
            "changed_at": old.changed_at,
        }
        op.bulk_insert(table, [row])
    bind.execute(sa.delete(switches).where(switches.c.name == "kill_switch"))


def downgrade() -> None:
    op.drop_table("trading_state")
