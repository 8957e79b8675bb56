"""pipeline_sweeps: the sweep's per-order backoff state

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = 40


def upgrade() -> None:
    op.create_table(
        "pipeline_sweeps",
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.String(_TIME), nullable=False),
        sa.Column("last_state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id"),
    )


def downgrade() -> None:
    op.drop_table("pipeline_sweeps")
