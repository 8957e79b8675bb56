"""The cost ledger: one ``llm_calls`` row per provider call, written in batches; spend reports.

Every HTTP call litellm makes for a request — the first, each retry, each fallback, the
repair — is a row with the tokens the provider reported and what we charged; a request
answered without a provider call (a cache hit, a budget skip) is one row at cost 0. Rows
carry the run, analysis and signal ids of the request; a trade's spend is joined at query
time through ``signal_id`` (a trade row names its signal), not back-filled.

Writes are buffered and inserted ``batch`` rows (or ``flush_s`` seconds) at a time so a
call does not pay a database commit; :meth:`LedgerWriter.flush` / :meth:`close` write the
rest (the composition root calls ``close`` at shutdown). A failed insert is logged and
the rows are kept for the next flush (bounded by ``max_pending``): the ledger is an
account of spend, the budget ledger is what enforces caps.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Literal

from sqlalchemy import Engine, Table, case, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import FromClause
from sqlmodel import SQLModel

from quorum.clock import Clock
from quorum.llm.money import from_nano
from quorum.store.tables.llm import LLM_CALLS_TABLE, llm_table
from quorum.store.tables.pipeline import SIGNALS_TABLE, TRADES_TABLE


def signals_table() -> Table:
    return SQLModel.metadata.tables[SIGNALS_TABLE]


def trades_table() -> Table:
    return SQLModel.metadata.tables[TRADES_TABLE]


_log = logging.getLogger(__name__)

SpendBy = Literal["model", "node", "role", "day", "trade"]


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One ledger row (see :class:`quorum.store.tables.llm.LLMCallRecord`)."""

    time: str
    day: str
    node: str
    role: str
    symbol: str | None
    run_id: str | None
    policy: str
    model: str
    provider: str
    why: str
    fallbacks: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_nano: int
    cache_hit: bool
    outcome: str
    prompt_version: str
    schema_version: str
    repairs: int
    error: str | None = None
    request_id: str = ""
    call_kind: str = "call"
    """call | retry | fallback | repair | offline | cache_hit | none (no provider call)."""
    analysis_id: str | None = None
    signal_id: str | None = None
    usage: str = "reported"
    """reported | missing | implausible (charged ``reserved_nano``) | free."""
    reserved_nano: int = 0

    @property
    def cost_usd(self) -> Decimal:
        return from_nano(self.cost_nano)


_FIELDS = tuple(f.name for f in fields(CallRecord))


class LedgerWriter:
    """Buffered inserts into ``llm_calls`` (thread-safe)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        batch: int = 50,
        flush_s: float = 2.0,
        max_pending: int = 100_000,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._batch = batch
        self._flush_s = flush_s
        self._max_pending = max_pending
        self._table = llm_table(LLM_CALLS_TABLE)
        self._pending: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_flush = clock.monotonic()

    def write(self, record: CallRecord) -> None:
        with self._lock:
            self._pending.append({name: getattr(record, name) for name in _FIELDS})
            due = (
                len(self._pending) >= self._batch
                or self._clock.monotonic() - self._last_flush >= self._flush_s
            )
        if due:
            self.flush()

    def flush(self) -> int:
        """Insert every buffered row now; the number written."""
        with self._flush_lock:
            with self._lock:
                rows, self._pending = self._pending, []
                self._last_flush = self._clock.monotonic()
            if not rows:
                return 0
            try:
                with self._engine.begin() as conn:
                    conn.execute(self._table.insert(), rows)
            except SQLAlchemyError as exc:
                _log.error("llm ledger: %d rows not written (%s); kept", len(rows), exc)
                with self._lock:
                    self._pending = (rows + self._pending)[-self._max_pending :]
                return 0
            return len(rows)

    def close(self) -> None:
        self.flush()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)


@dataclass(frozen=True, slots=True)
class SpendRow:
    key: str
    calls: int
    cache_hits: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    mean_latency_ms: float


def spend_by(engine: Engine, by: SpendBy, since_day: str | None = None) -> list[SpendRow]:
    """Spend grouped by model, node, role, UTC day or trade (most expensive first; days in
    order). ``trade``: the calls of the analysis whose signal opened the trade (joined
    through ``signal_id``); calls that led to no trade are not in that grouping."""
    table = llm_table(LLM_CALLS_TABLE)
    source: FromClause = table
    if by == "trade":
        trades = trades_table()
        column = trades.c.trade_id
        source = table.join(trades, trades.c.signal_id == table.c.signal_id)
    else:
        column = {"model": table.c.model, "node": table.c.node, "role": table.c.role}.get(
            by, table.c.day
        )
    cost = func.sum(table.c.cost_nano)
    query = (
        select(
            column,
            func.count(),
            func.sum(case((table.c.cache_hit.is_(True), 1), else_=0)),
            func.sum(table.c.input_tokens),
            func.sum(table.c.output_tokens),
            cost,
            func.avg(table.c.latency_ms),
        )
        .select_from(source)
        .group_by(column)
    )
    if since_day is not None:
        query = query.where(table.c.day >= since_day)
    query = query.order_by(column) if by == "day" else query.order_by(cost.desc(), column)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SpendRow(
            key=str(key),
            calls=int(calls),
            cache_hits=int(hits or 0),
            input_tokens=int(tin or 0),
            output_tokens=int(tout or 0),
            cost_usd=from_nano(int(nano or 0)),
            mean_latency_ms=float(latency or 0.0),
        )
        for key, calls, hits, tin, tout, nano, latency in rows
    ]


@dataclass(frozen=True, slots=True)
class SpendPerOutcome:
    """Total spend, and the part spent on analyses that became approved signals / trades."""

    total_usd: Decimal
    approved_signals: int
    approved_usd: Decimal
    trades: int
    trades_usd: Decimal

    def per(self, usd: Decimal, count: int) -> Decimal | None:
        return usd / count if count else None

    @property
    def per_approved_signal_usd(self) -> Decimal | None:
        return self.per(self.approved_usd, self.approved_signals)

    @property
    def per_trade_usd(self) -> Decimal | None:
        return self.per(self.trades_usd, self.trades)


def spend_per_outcome(engine: Engine, run_id: str | None = None) -> SpendPerOutcome:
    """Spend on approved signals and on trades (joined via ``signal_id``), and in total."""
    table = llm_table(LLM_CALLS_TABLE)
    signals, trades = signals_table(), trades_table()
    approved = select(signals.c.signal_id).where(signals.c.verdict == "approved")
    traded = select(trades.c.signal_id)
    total = select(func.coalesce(func.sum(table.c.cost_nano), 0))
    if run_id is not None:
        total = total.where(table.c.run_id == run_id)
        approved = approved.where(signals.c.run_id == run_id)
        traded = traded.where(trades.c.run_id == run_id)
    with engine.connect() as conn:
        approved_ids = set(conn.execute(approved).scalars())
        traded_ids = set(conn.execute(traded).scalars())
        nano_total = int(conn.execute(total).scalar_one())
        by_signal = dict(
            conn.execute(
                select(table.c.signal_id, func.sum(table.c.cost_nano))
                .where(table.c.signal_id.in_(approved_ids | traded_ids))
                .group_by(table.c.signal_id)
            ).all()
        )
    return SpendPerOutcome(
        total_usd=from_nano(nano_total),
        approved_signals=len(approved_ids),
        approved_usd=from_nano(sum(int(by_signal.get(s) or 0) for s in approved_ids)),
        trades=len(traded_ids),
        trades_usd=from_nano(sum(int(by_signal.get(s) or 0) for s in traded_ids)),
    )


def analysis_spend(engine: Engine, analysis_id: str) -> Decimal:
    """What the calls of one analysis cost (its rows are flushed first by the caller)."""
    table = llm_table(LLM_CALLS_TABLE)
    query = select(func.coalesce(func.sum(table.c.cost_nano), 0)).where(
        table.c.analysis_id == analysis_id
    )
    with engine.connect() as conn:
        return from_nano(int(conn.execute(query).scalar_one()))


def spent_by_scope(engine: Engine, since_day: str, runs_since_day: str) -> dict[str, int]:
    """Settled spend per budget scope key (``day:D``, ``symbol:S:D`` from ``since_day``,
    ``run:R`` from ``runs_since_day``), summed from the cost ledger."""
    table = llm_table(LLM_CALLS_TABLE)
    cost = func.sum(table.c.cost_nano)
    recent = table.c.day >= since_day
    spent: dict[str, int] = {}
    with engine.connect() as conn:
        for day, nano in conn.execute(
            select(table.c.day, cost).where(recent).group_by(table.c.day)
        ):
            spent[f"day:{day}"] = int(nano or 0)
        by_symbol = select(table.c.symbol, table.c.day, cost).where(
            recent, table.c.symbol.is_not(None)
        )
        for symbol, day, nano in conn.execute(by_symbol.group_by(table.c.symbol, table.c.day)):
            spent[f"symbol:{symbol}:{day}"] = int(nano or 0)
        by_run = select(table.c.run_id, cost).where(
            table.c.day >= runs_since_day, table.c.run_id.is_not(None)
        )
        for run_id, nano in conn.execute(by_run.group_by(table.c.run_id)):
            spent[f"run:{run_id}"] = int(nano or 0)
    return spent


def recent_calls(engine: Engine, limit: int) -> Sequence[CallRecord]:
    """The newest ``limit`` rows, oldest first (seeds the live model statistics)."""
    table = llm_table(LLM_CALLS_TABLE)
    columns = [c for c in table.c if c.name != "id"]
    query = select(*columns).order_by(table.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [CallRecord(**dict(row)) for row in reversed(rows)]
