"""runs: one record per replay / paper / live run

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = 40


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("capital_mode", sa.String(16), nullable=False),
        sa.Column("market_time_basis", sa.String(16), nullable=False),
        sa.Column("data_ok", sa.Boolean(), nullable=False),
        sa.Column("git_sha", sa.String(64), nullable=True),
        sa.Column("config_hash", sa.String(64), nullable=False),
        sa.Column("symbols", sa.Text(), nullable=False),
        sa.Column("range_start", sa.String(_TIME), nullable=False),
        sa.Column("range_end", sa.String(_TIME), nullable=False),
        sa.Column("started_at", sa.String(_TIME), nullable=False),
        sa.Column("completed_at", sa.String(_TIME), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trades_opened", sa.Integer(), nullable=False),
        sa.Column("trades_closed", sa.Integer(), nullable=False),
        sa.Column("result_hash", sa.String(64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_runs")),
    )


def downgrade() -> None:
    op.drop_table("runs")
