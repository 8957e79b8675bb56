"""The one join of the LLM ledger (``llm_calls``) to a backtest run and its trades.

Spend per (model, role) groups the run's ledger rows by ``model`` and ``node`` (the analyst
that asked: technical, patterns, regime, bull, bear). Spend per signal needs the ledger to
say which analysis a call served: when ``llm_calls`` has a ``signal_id`` column it is
grouped by it, otherwise :func:`signal_spend` returns None and the report falls back to
total ÷ trades. Switching to another id (analysis or trade id) changes this module only.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, func, select
from sqlmodel import SQLModel

from quorum.backtest.results import LlmSpend
from quorum.llm.money import from_nano
from quorum.store.tables.llm import LLM_CALLS_TABLE

SIGNAL_COLUMN = "signal_id"


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


def signal_spend(conn: Connection, run_id: str) -> dict[str, Decimal] | None:
    """Spend of ``run_id`` per signal id, or None when the ledger does not record it."""
    calls = SQLModel.metadata.tables[LLM_CALLS_TABLE]
    if SIGNAL_COLUMN not in calls.c:
        return None
    column = calls.c[SIGNAL_COLUMN]
    rows = conn.execute(
        select(column, func.coalesce(func.sum(calls.c.cost_nano), 0))
        .where(calls.c.run_id == run_id, column.is_not(None))
        .group_by(column)
    ).all()
    return {str(sid): from_nano(int(nano)) for sid, nano in rows}
