"""pipeline: task runs, risk rules state, signals, trades, scan marks, scoring state

Revision ID: 0004
Revises: 0003
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEC = 48
_TIME = 40


def upgrade() -> None:
    op.create_table(
        "pipeline_task_runs",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("task", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("started_at", sa.String(_TIME), nullable=False),
        sa.Column("finished_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pipeline_task_runs")),
    )
    op.create_index(op.f("ix_pipeline_task_runs_task"), "pipeline_task_runs", ["task"])
    op.create_table(
        "pipeline_rules_state",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipeline_rules_state")),
    )
    op.create_table(
        "pipeline_signals",
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("task_key", sa.String(200), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("as_of", sa.String(_TIME), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("entry", sa.String(_DEC), nullable=False),
        sa.Column("stop_loss", sa.String(_DEC), nullable=False),
        sa.Column("take_profit", sa.String(_DEC), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("components", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("quantity", sa.String(_DEC), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", name=op.f("pk_pipeline_signals")),
    )
    op.create_index(
        op.f("ix_pipeline_signals_client_order_id"), "pipeline_signals", ["client_order_id"]
    )
    op.create_index(op.f("ix_pipeline_signals_created_at"), "pipeline_signals", ["created_at"])
    op.create_table(
        "pipeline_trades",
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("venue", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("signal_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stop", sa.String(_DEC), nullable=False),
        sa.Column("initial_stop", sa.String(_DEC), nullable=False),
        sa.Column("take_profit", sa.String(_DEC), nullable=True),
        sa.Column("best_price", sa.String(_DEC), nullable=True),
        sa.Column("exit_orders", sa.Text(), nullable=False),
        sa.Column("pnl", sa.String(_DEC), nullable=True),
        sa.Column("r_multiple", sa.Float(), nullable=True),
        sa.Column("learned", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.String(_TIME), nullable=False),
        sa.Column("closed_at", sa.String(_TIME), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trade_id", name=op.f("pk_pipeline_trades")),
    )
    op.create_index(op.f("ix_pipeline_trades_run_id"), "pipeline_trades", ["run_id"])
    op.create_index(op.f("ix_pipeline_trades_symbol"), "pipeline_trades", ["symbol"])
    op.create_index(op.f("ix_pipeline_trades_state"), "pipeline_trades", ["state"])
    op.create_table(
        "pipeline_scan_marks",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("bar_close", sa.String(_TIME), nullable=False),
        sa.Column("volatility", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "symbol", "timeframe", name=op.f("pk_pipeline_scan_marks")
        ),
    )
    op.create_table(
        "pipeline_scoring",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.String(_TIME), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_pipeline_scoring")),
    )


def downgrade() -> None:
    op.drop_table("pipeline_scoring")
    op.drop_table("pipeline_scan_marks")
    op.drop_index(op.f("ix_pipeline_trades_state"), table_name="pipeline_trades")
    op.drop_index(op.f("ix_pipeline_trades_symbol"), table_name="pipeline_trades")
    op.drop_index(op.f("ix_pipeline_trades_run_id"), table_name="pipeline_trades")
    op.drop_table("pipeline_trades")
    op.drop_index(op.f("ix_pipeline_signals_created_at"), table_name="pipeline_signals")
    op.drop_index(op.f("ix_pipeline_signals_client_order_id"), table_name="pipeline_signals")
    op.drop_table("pipeline_signals")
    op.drop_table("pipeline_rules_state")
    op.drop_index(op.f("ix_pipeline_task_runs_task"), table_name="pipeline_task_runs")
    op.drop_table("pipeline_task_runs")
