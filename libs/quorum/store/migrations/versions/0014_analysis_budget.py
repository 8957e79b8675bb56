"""pipeline_analysis_budget: analyses granted per cycle and per symbol-day

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_analysis_budget",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(120), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "bucket", name=op.f("pk_pipeline_analysis_budget")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_analysis_budget")
