"""llm_calls: one row per provider call, joined to its request, analysis and signal

Adds ``request_id`` (the rows of one request), ``call_kind`` (call, retry, fallback,
repair, offline, cache_hit, none), ``analysis_id`` and ``signal_id`` (a trade's spend
joins through its signal at query time), ``usage`` (reported, missing, implausible, free)
and ``reserved_nano`` (the budget hold the call settled against).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("llm_calls") as batch:
        batch.add_column(sa.Column("request_id", sa.String(32), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("call_kind", sa.String(16), nullable=False, server_default="call")
        )
        batch.add_column(sa.Column("analysis_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("signal_id", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("usage", sa.String(16), nullable=False, server_default="reported")
        )
        batch.add_column(
            sa.Column("reserved_nano", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_index(op.f("ix_llm_calls_analysis_id"), "llm_calls", ["analysis_id"])
    op.create_index(op.f("ix_llm_calls_signal_id"), "llm_calls", ["signal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_llm_calls_signal_id"), table_name="llm_calls")
    op.drop_index(op.f("ix_llm_calls_analysis_id"), table_name="llm_calls")
    with op.batch_alter_table("llm_calls") as batch:
        for name in ("reserved_nano", "usage", "signal_id", "analysis_id", "call_kind"):
            batch.drop_column(name)
        batch.drop_column("request_id")
