"""paper venue: its state shared by every process (venues, orders, trades)

Revision ID: 0005
Revises: 0004
Create Date: 2025-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEC = 48
_TIME = 40


def upgrade() -> None:
    op.create_table(
        "paper_venues",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("next_order_id", sa.Integer(), nullable=False),
        sa.Column("balances", sa.Text(), nullable=False),
        sa.Column("books", sa.Text(), nullable=False),
        sa.Column("quotes", sa.Text(), nullable=False),
        sa.Column("last_bars", sa.Text(), nullable=False),
        sa.Column("counters", sa.Text(), nullable=False),
        sa.Column("faults", sa.Text(), nullable=False),
        sa.Column("clock_high", sa.String(_TIME), nullable=True),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_paper_venues")),
    )
    op.create_table(
        "paper_orders",
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("venue_order_id", sa.String(32), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("price", sa.String(_DEC), nullable=True),
        sa.Column("stop_price", sa.String(_DEC), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled", sa.String(_DEC), nullable=False),
        sa.Column("cost", sa.String(_DEC), nullable=False),
        sa.Column("triggered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("venue", "seq", name=op.f("pk_paper_orders")),
    )
    op.create_index(op.f("ix_paper_orders_client_order_id"), "paper_orders", ["client_order_id"])
    op.create_index(op.f("ix_paper_orders_version"), "paper_orders", ["version"])
    op.create_table(
        "paper_trades",
        sa.Column("venue", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("venue_trade_id", sa.String(32), nullable=False),
        sa.Column("venue_order_id", sa.String(32), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("price", sa.String(_DEC), nullable=False),
        sa.Column("fee", sa.String(_DEC), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("liquidity", sa.String(8), nullable=False),
        sa.Column("ts", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("venue", "seq", name=op.f("pk_paper_trades")),
    )


def downgrade() -> None:
    op.drop_table("paper_trades")
    op.drop_index(op.f("ix_paper_orders_version"), table_name="paper_orders")
    op.drop_index(op.f("ix_paper_orders_client_order_id"), table_name="paper_orders")
    op.drop_table("paper_orders")
    op.drop_table("paper_venues")
