"""execution: order outbox, fills, positions, balances, switches

Revision ID: 0003
Revises: 0002
Create Date: 2025-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEC = 48
_TIME = 40


def upgrade() -> None:
    op.create_table(
        "execution_orders",
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("leg", sa.String(16), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("price", sa.String(_DEC), nullable=True),
        sa.Column("stop_price", sa.String(_DEC), nullable=True),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("signal_time", sa.String(_TIME), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=True),
        sa.Column("filled_quantity", sa.String(_DEC), nullable=False),
        sa.Column("average_price", sa.String(_DEC), nullable=True),
        sa.Column("fees", sa.String(_DEC), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("submit_deadline", sa.String(_TIME), nullable=True),
        sa.Column("last_error", sa.String(400), nullable=True),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_execution_orders")),
    )
    op.create_index(op.f("ix_execution_orders_venue"), "execution_orders", ["venue"])
    op.create_index(op.f("ix_execution_orders_strategy"), "execution_orders", ["strategy"])
    op.create_index(op.f("ix_execution_orders_state"), "execution_orders", ["state"])

    op.create_table(
        "execution_fills",
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("venue_trade_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("price", sa.String(_DEC), nullable=False),
        sa.Column("fee", sa.String(_DEC), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("liquidity", sa.String(8), nullable=False),
        sa.Column("ts", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("venue", "venue_trade_id", name=op.f("pk_execution_fills")),
    )
    op.create_index(
        op.f("ix_execution_fills_client_order_id"), "execution_fills", ["client_order_id"]
    )

    op.create_table(
        "execution_positions",
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("average_entry", sa.String(_DEC), nullable=True),
        sa.Column("realized_pnl", sa.String(_DEC), nullable=False),
        sa.Column("fees", sa.String(_DEC), nullable=False),
        sa.Column("opened_at", sa.String(_TIME), nullable=True),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("venue", "symbol", name=op.f("pk_execution_positions")),
    )
    op.create_table(
        "execution_balances",
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("total", sa.String(_DEC), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("venue", "asset", name=op.f("pk_execution_balances")),
    )
    op.create_table(
        "execution_switches",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("engaged", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(400), nullable=False),
        sa.Column("changed_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_execution_switches")),
    )


def downgrade() -> None:
    op.drop_table("execution_switches")
    op.drop_table("execution_balances")
    op.drop_table("execution_positions")
    op.drop_index(op.f("ix_execution_fills_client_order_id"), table_name="execution_fills")
    op.drop_table("execution_fills")
    op.drop_index(op.f("ix_execution_orders_state"), table_name="execution_orders")
    op.drop_index(op.f("ix_execution_orders_strategy"), table_name="execution_orders")
    op.drop_index(op.f("ix_execution_orders_venue"), table_name="execution_orders")
    op.drop_table("execution_orders")
