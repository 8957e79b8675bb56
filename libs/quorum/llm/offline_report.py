"""Why the offline analyst answered: the ledger's reasons, counted per run.

The offline analyst answers when no configured model serves a role, when paid models are
off (flag ``llm.allow_paid``), when a budget cap would be passed, and as the last link of a
fallback chain. Entry points print these reasons so an offline answer is never silent.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from quorum.llm.settings import OFFLINE_NAME
from quorum.store.tables.llm import LLM_CALLS_TABLE


def offline_reasons(engine: Engine, run_id: str | None) -> dict[str, int]:
    """``{why: calls}`` of the run's answers by the offline analyst, most frequent first
    (``run_id`` None: every run of the database, e.g. a backtest's own database)."""
    calls = SQLModel.metadata.tables[LLM_CALLS_TABLE]
    query = select(calls.c.why, func.count()).where(calls.c.model == OFFLINE_NAME)
    if run_id is not None:
        query = query.where(calls.c.run_id == run_id)
    with engine.connect() as conn:
        rows = conn.execute(query.group_by(calls.c.why)).all()
    return {str(why): int(n) for why, n in sorted(rows, key=lambda r: (-int(r[1]), str(r[0])))}


def describe_offline(reasons: dict[str, int]) -> str | None:
    """One line for a summary (None when the offline analyst did not answer)."""
    if not reasons:
        return None
    total = sum(reasons.values())
    parts = "; ".join(f"{why} (x{n})" for why, n in reasons.items())
    return f"{total} answer(s) by the offline analyst: {parts}"
