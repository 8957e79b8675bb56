"""The ``runs`` table: one record per replay, paper or live run.

A run's id is carried by every decision, order, trade and journal entry it wrote
(``run_id`` columns of the pipeline, execution and journal tables). Times are canonical
ISO-8601 UTC text; ``market_time_basis`` says which clock the run's market times follow
(``replay`` for recorded bars, ``wall`` for live data); ``data_ok`` is the data-integrity
flag (every load passed the quality gates unrepaired).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Text
from sqlmodel import Field, SQLModel

RUNS_TABLE = "runs"

_TIME = 40


class RunRecord(SQLModel, table=True):
    __tablename__ = RUNS_TABLE

    run_id: str = Field(sa_column=Column("run_id", String(64), primary_key=True))
    mode: str = Field(sa_column=Column("mode", String(16), nullable=False))
    """replay | paper | live"""
    capital_mode: str = Field(sa_column=Column("capital_mode", String(16), nullable=False))
    market_time_basis: str = Field(
        sa_column=Column("market_time_basis", String(16), nullable=False)
    )
    data_ok: bool = Field(sa_column=Column("data_ok", Boolean(), nullable=False))
    git_sha: str | None = Field(default=None, sa_column=Column("git_sha", String(64)))
    config_hash: str = Field(sa_column=Column("config_hash", String(64), nullable=False))
    settings_hash: str | None = Field(default=None, sa_column=Column("settings_hash", String(64)))
    """SHA-256 of the agents / scoring / risk / llm settings the run ran with (the
    deployment's, with the run's overrides applied)."""
    symbols: str = Field(sa_column=Column("symbols", Text(), nullable=False))
    """JSON list."""
    range_start: str = Field(sa_column=Column("range_start", String(_TIME), nullable=False))
    range_end: str = Field(sa_column=Column("range_end", String(_TIME), nullable=False))
    started_at: str = Field(sa_column=Column("started_at", String(_TIME), nullable=False))
    completed_at: str | None = Field(default=None, sa_column=Column("completed_at", String(_TIME)))
    status: str = Field(sa_column=Column("status", String(16), nullable=False))
    """running | completed | failed"""
    trades_opened: int = Field(
        default=0, sa_column=Column("trades_opened", Integer(), nullable=False)
    )
    trades_closed: int = Field(
        default=0, sa_column=Column("trades_closed", Integer(), nullable=False)
    )
    result_hash: str | None = Field(default=None, sa_column=Column("result_hash", String(64)))
    notes: str = Field(default="", sa_column=Column("notes", Text(), nullable=False))
