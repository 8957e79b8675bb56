"""pipeline_signal_opinions: the scored opinions behind each stored signal

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipeline_signal_opinions",
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("node", sa.String(32), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("llm_role", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("stance", sa.String(16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("prompt_version", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", "seq", name=op.f("pk_pipeline_signal_opinions")),
    )
    op.create_index(
        op.f("ix_pipeline_signal_opinions_run_id"), "pipeline_signal_opinions", ["run_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_pipeline_signal_opinions_run_id"), table_name="pipeline_signal_opinions"
    )
    op.drop_table("pipeline_signal_opinions")
