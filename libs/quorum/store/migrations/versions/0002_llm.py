"""llm: cost ledger, budget spend and holds, answer cache, model accuracy scores

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "llm_calls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("symbol", sa.String(40), nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("policy", sa.String(32), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("why", sa.String(400), nullable=False),
        sa.Column("fallbacks", sa.String(400), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_nano", sa.BigInteger(), nullable=False),
        sa.Column("cache_hit", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("prompt_version", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.String(64), nullable=False),
        sa.Column("repairs", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(400), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_calls")),
    )
    op.create_index(op.f("ix_llm_calls_day"), "llm_calls", ["day"])
    op.create_index(op.f("ix_llm_calls_node"), "llm_calls", ["node"])
    op.create_index(op.f("ix_llm_calls_model"), "llm_calls", ["model"])

    op.create_table(
        "llm_budget_spend",
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("spent_nano", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_llm_budget_spend")),
    )
    op.create_table(
        "llm_budget_holds",
        sa.Column("reservation_id", sa.String(32), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("amount_nano", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "scope", name=op.f("pk_llm_budget_holds")),
    )
    op.create_index(op.f("ix_llm_budget_holds_scope"), "llm_budget_holds", ["scope"])

    op.create_table(
        "llm_cache",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_llm_cache")),
    )
    op.create_index(op.f("ix_llm_cache_expires_ms"), "llm_cache", ["expires_ms"])

    op.create_table(
        "llm_model_scores",
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("model", name=op.f("pk_llm_model_scores")),
    )


def downgrade() -> None:
    op.drop_table("llm_model_scores")
    op.drop_index(op.f("ix_llm_cache_expires_ms"), table_name="llm_cache")
    op.drop_table("llm_cache")
    op.drop_index(op.f("ix_llm_budget_holds_scope"), table_name="llm_budget_holds")
    op.drop_table("llm_budget_holds")
    op.drop_table("llm_budget_spend")
    op.drop_index(op.f("ix_llm_calls_model"), table_name="llm_calls")
    op.drop_index(op.f("ix_llm_calls_node"), table_name="llm_calls")
    op.drop_index(op.f("ix_llm_calls_day"), table_name="llm_calls")
    op.drop_table("llm_calls")
