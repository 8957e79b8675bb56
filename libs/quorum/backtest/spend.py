"""Spend of a backtest run per (model, role): the run's ledger rows grouped by ``model``
and ``node`` (the analyst that asked: technical, patterns, regime, bull, bear). Spend per
trade is the ledger's own join through ``signal_id``
(:func:`quorum.llm.ledger.spend_per_outcome`)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlmodel import SQLModel

from quorum.backtest.results import LlmSpend
from quorum.llm.money import from_nano
from quorum.store.tables.llm import LLM_CALLS_TABLE


def model_role_spend(conn: Connection, run_id: str) -> list[LlmSpend]:
    """Calls and spend of ``run_id`` per (model, role), sorted."""
    calls = SQLModel.metadata.tables[LLM_CALLS_TABLE]
    rows = conn.execute(
        select(
            calls.c.model, calls.c.node, func.count(), func.coalesce(func.sum(calls.c.cost_nano), 0)
        )
        .where(calls.c.run_id == run_id)
        .group_by(calls.c.model, calls.c.node)
        .order_by(calls.c.model, calls.c.node)
    ).all()
    return [
        LlmSpend(model=str(m), role=str(n), calls=int(c), spend_usd=from_nano(int(s or 0)))
        for m, n, c, s in rows
    ]


def merge_spend(rows: list[LlmSpend]) -> tuple[LlmSpend, ...]:
    """``rows`` of several run parts summed per (model, role), sorted."""
    merged: dict[tuple[str, str], LlmSpend] = {}
    for r in rows:
        seen = merged.get((r.model, r.role))
        merged[(r.model, r.role)] = (
            r
            if seen is None
            else r.model_copy(
                update={"calls": seen.calls + r.calls, "spend_usd": seen.spend_usd + r.spend_usd}
            )
        )
    return tuple(merged[k] for k in sorted(merged))
