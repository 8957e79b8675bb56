"""The account as the risk engine sees it: rules state, equity, exposures, market info.

The rules state is read with its version and written back by compare-and-set; every
event a state update produced is journaled in the same transaction as the write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from quorum.domain import Direction, ScanResult, Timeframe, format_time
from quorum.errors import QuorumError
from quorum.execution import NetPosition
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import Reader, Trade, load_rules, save_rules, trades
from quorum.risk import Exposure, MarketInfo, Portfolio, RulesState, StateUpdate, initial_state
from quorum.store import session_scope
from quorum.store.tables.execution import FILLS_TABLE, ORDERS_TABLE

T = TypeVar("T")
FILLS = SQLModel.metadata.tables[FILLS_TABLE]
ORDERS = SQLModel.metadata.tables[ORDERS_TABLE]
ZERO = Decimal(0)


class RulesConflict(QuorumError):
    """Another worker wrote the rules state first; re-read and decide again."""


def rules_state(deps: PipelineDeps, db: Reader) -> tuple[RulesState, int]:
    state, version = load_rules(db, deps.run_id)
    if state is None:
        state = initial_state(deps.settings.paper_equity, deps.clock.now(), deps.risk)
    return state, version


def commit_rules(
    deps: PipelineDeps, session: Session, update: StateUpdate, version: int, run_id: str
) -> None:
    """Persist ``update.state`` over ``version`` and journal its events (same transaction)."""
    if not save_rules(session, update.state, version, deps.clock.now(), deps.run_id):
        raise RulesConflict(f"rules state: version {version} was replaced by another writer")
    for event in update.events:
        deps.journal.append(
            session,
            event.journal_kind,
            event.model_dump(mode="json"),
            actor=deps.settings.actor,
            run_id=run_id,
        )


def with_rules[T](
    deps: PipelineDeps, work: Callable[[Session, RulesState, int], T], attempts: int = 5
) -> T:
    """Run ``work`` in one transaction with the current rules state; retry on conflict."""
    for attempt in range(attempts):
        try:
            with session_scope(deps.engine) as session:
                state, version = rules_state(deps, session)
                return work(session, state, version)
        except RulesConflict:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def trade_pnl(db: Reader, trade: Trade) -> Decimal:
    """Net cash of the trade's fills, fees included: every fill of this run's orders in the
    trade's symbol since its entry (one trade per symbol at a time, so these are its entry
    and every exit, whoever sent them — monitor, kill switch, end of replay)."""
    ids = select(ORDERS.c.client_order_id).where(
        ORDERS.c.run_id == trade.run_id, ORDERS.c.symbol == trade.symbol
    )
    rows = db.execute(
        select(FILLS.c.side, FILLS.c.quantity, FILLS.c.price, FILLS.c.fee).where(
            FILLS.c.venue == trade.venue,
            FILLS.c.symbol == trade.symbol,
            FILLS.c.ts >= format_time(trade.opened_at),
            FILLS.c.client_order_id.in_(ids),
        )
    ).all()
    cash = ZERO
    for side, quantity, price, fee in rows:
        flow = Decimal(quantity) * Decimal(price)
        cash += (flow if side == "sell" else -flow) - Decimal(fee)
    return cash


def equity(
    deps: PipelineDeps,
    db: Reader,
    positions: list[NetPosition],
    marks: Mapping[str, Decimal],
) -> tuple[Decimal, Decimal]:
    """``(equity, unrealized)``: starting equity + closed trades + open positions at mark."""
    closed = sum((t.pnl or ZERO for t in trades(db, states=["closed"], run_id=deps.run_id)), ZERO)
    unrealized = ZERO
    open_realized = ZERO
    for p in positions:
        mark = marks.get(p.symbol)
        open_realized += p.realized_pnl
        if mark is not None:
            unrealized += p.unrealized_pnl(mark)
    return deps.settings.paper_equity + closed + open_realized + unrealized, unrealized


def portfolio(
    deps: PipelineDeps, db: Reader, positions: list[NetPosition], marks: Mapping[str, Decimal]
) -> Portfolio:
    stops = {t.symbol: t.stop for t in trades(db, states=["open"], run_id=deps.run_id)}
    exposures = []
    for p in positions:
        if p.quantity == 0:
            continue
        mark = marks.get(p.symbol, p.average_entry or ZERO)
        stop = stops.get(p.symbol)
        risk = abs(p.quantity) * abs(mark - stop) if stop is not None else abs(p.quantity) * mark
        exposures.append(
            Exposure(
                symbol=p.symbol,
                direction=Direction.LONG if p.quantity > 0 else Direction.SHORT,
                notional=abs(p.quantity) * mark,
                risk=risk,
                unrealized_pnl=p.unrealized_pnl(mark),
            )
        )
    total, _ = equity(deps, db, positions, marks)
    total = max(total, Decimal("0.01"))
    used = sum((e.notional for e in exposures), ZERO)
    return Portfolio(
        equity=total, margin_available=max(ZERO, total - used), exposures=tuple(exposures)
    )


def market_info(deps: PipelineDeps, scan: ScanResult, timeframe: Timeframe) -> MarketInfo:
    """The traded market from the scan: reference price and ATR of the decision timeframe."""
    item = scan.get(timeframe) or scan.timeframes[0]
    close = Decimal(repr(item.snapshot.values.get("close", 0.0)))
    if close <= 0:
        raise ValueError(f"scan {scan.symbol}: no close price on {item.timeframe} to size against")
    atr = item.snapshot.values.get("atr")
    tick = Decimal(1).scaleb(close.adjusted() - 6)  # 7 significant digits
    return MarketInfo(
        symbol=scan.symbol,
        amount_step=deps.settings.amount_step,
        price_tick=tick,
        min_notional=deps.settings.min_notional,
        reference_price=close,
        atr=Decimal(repr(atr)) if atr and atr > 0 else None,
    )


def positions_now(deps: PipelineDeps) -> list[NetPosition]:
    return [p for p in deps.execution.positions() if p.quantity != 0]
