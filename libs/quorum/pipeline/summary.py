"""What one pipeline run really did, counted from the database (nothing estimated)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from quorum.llm.ledger import spend_per_outcome
from quorum.llm.offline_report import offline_reasons
from quorum.store.tables.execution import FILLS_TABLE, ORDERS_TABLE
from quorum.store.tables.journal import JOURNAL_TABLE_NAME
from quorum.store.tables.llm import LLM_CALLS_TABLE
from quorum.store.tables.pipeline import SIGNALS_TABLE, TASK_RUNS_TABLE, TRADES_TABLE

_T = SQLModel.metadata.tables


def run_counts(engine: Engine, run_id: str) -> dict[str, Any]:
    signals, orders, fills = _T[SIGNALS_TABLE], _T[ORDERS_TABLE], _T[FILLS_TABLE]
    trades, calls, journal = _T[TRADES_TABLE], _T[LLM_CALLS_TABLE], _T[JOURNAL_TABLE_NAME]
    runs = _T[TASK_RUNS_TABLE]
    with engine.connect() as conn:
        verdicts: Counter[str] = Counter(
            dict(
                conn.execute(
                    select(signals.c.verdict, func.count())
                    .where(signals.c.run_id == run_id)
                    .group_by(signals.c.verdict)
                ).all()
            )
        )
        reasons: Counter[str] = Counter(
            dict(
                conn.execute(
                    select(signals.c.reason, func.count())
                    .where(signals.c.run_id == run_id, signals.c.verdict != "approved")
                    .group_by(signals.c.reason)
                ).all()
            )
        )
        order_rows = conn.execute(
            select(orders.c.client_order_id, orders.c.leg, orders.c.state).where(
                orders.c.run_id == run_id
            )
        ).all()
        ids = [r[0] for r in order_rows]
        fill_rows = conn.execute(
            select(fills.c.quantity, fills.c.price, fills.c.fee).where(
                fills.c.client_order_id.in_(ids)
            )
        ).all()
        trade_rows = conn.execute(
            select(trades.c.state, trades.c.pnl).where(trades.c.run_id == run_id)
        ).all()
        llm = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(calls.c.cost_nano), 0),
                func.coalesce(func.sum(func.cast(calls.c.cache_hit, _int())), 0),
            ).where(calls.c.run_id == run_id)
        ).one()
        journal_kinds: dict[str, int] = dict(
            conn.execute(
                select(journal.c.kind, func.count())
                .where(journal.c.run_id == run_id)
                .group_by(journal.c.kind)
            ).all()
        )
        task_runs: dict[str, int] = dict(
            conn.execute(
                select(runs.c.task, func.count())
                .where(runs.c.key.like(f"%:{run_id}:%"))
                .group_by(runs.c.task)
            ).all()
        )
    closed = [Decimal(p) for state, p in trade_rows if state == "closed" and p is not None]
    spend = spend_per_outcome(engine, run_id)
    return {
        "signals": sum(verdicts.values()),
        "verdicts": dict(verdicts),
        "rejection_reasons": dict(reasons.most_common()),
        "orders": {
            "total": len(order_rows),
            "by_leg": dict(Counter(r[1] for r in order_rows)),
            "by_state": dict(Counter(r[2] for r in order_rows)),
        },
        "fills": len(fill_rows),
        "fees": str(sum((Decimal(f[2]) for f in fill_rows), Decimal(0))),
        "trades": dict(Counter(state for state, _ in trade_rows)),
        "realized_pnl": str(sum(closed, Decimal(0))),
        "wins": sum(1 for p in closed if p > 0),
        "losses": sum(1 for p in closed if p <= 0),
        "llm": {
            "calls": int(llm[0]),
            "spend_usd": int(llm[1]) / 1e9,
            "cache_hits": int(llm[2]),
            # the calls of the analyses whose signals were approved / opened trades
            "spend_per_approved_signal_usd": _text(spend.per_approved_signal_usd),
            "spend_per_trade_usd": _text(spend.per_trade_usd),
        },
        "offline_answers": offline_reasons(engine, run_id),
        "journal_by_kind": journal_kinds,
        "task_runs": task_runs,
    }


def _int() -> Any:
    from sqlalchemy import Integer

    return Integer()


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
