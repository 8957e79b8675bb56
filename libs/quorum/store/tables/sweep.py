"""The sweep's backoff state (``quorum.pipeline.sweep_task``): one row per order it
re-submitted, so the spacing of its attempts survives restarts and is shared by every
worker. ``attempts`` is compared and bumped on every write (one re-submission per due
time, whichever sweep gets there first)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String, Text
from sqlmodel import Field, SQLModel

SWEEPS_TABLE = "pipeline_sweeps"

_TIME = 40


class PipelineSweepRecord(SQLModel, table=True):
    """How often the sweep re-submitted one order, and when it may next."""

    __tablename__ = SWEEPS_TABLE

    client_order_id: str = Field(sa_column=Column("client_order_id", String(64), primary_key=True))
    attempts: int = Field(sa_column=Column("attempts", Integer(), nullable=False))
    next_attempt_at: str = Field(sa_column=Column("next_attempt_at", String(_TIME), nullable=False))
    last_state: str = Field(sa_column=Column("last_state", String(16), nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column("last_error", Text()))
    updated_at: str = Field(sa_column=Column("updated_at", String(_TIME), nullable=False))
