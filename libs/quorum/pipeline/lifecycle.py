"""Trades follow their orders: pending → open when the entry fills, open → closed when the
venue position is flat again (or cancelled when the entry ended unfilled). A trade whose
entry and protective stop both filled between two passes opens and closes in one.

Each transition is one transaction: the trade row (compare-and-set on its version), the
rules-state update it implies (``on_fill`` counts the trade; ``on_trade_closed`` books the
P&L, streaks, cooldowns, lockouts, SAFE_MODE) and the events' journal entries.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy.orm import Session

from quorum.domain import Fill, JournalKind, OrderState
from quorum.errors import QuorumError
from quorum.execution import NetPosition
from quorum.pipeline.accounting import commit_rules, equity, trade_pnl, with_rules
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import Trade, put_trade, trades
from quorum.risk import RulesState, on_fill, on_trade_closed
from quorum.telemetry.metrics import metrics

_DEAD = {OrderState.CANCELLED, OrderState.REJECTED, OrderState.EXPIRED}


def sync_trades(deps: PipelineDeps, marks: dict[str, Decimal]) -> dict[str, int]:
    """Advance every pending / open trade; returns how many opened, closed, cancelled."""
    counts = {"opened": 0, "closed": 0, "cancelled": 0}
    with deps.engine.connect() as conn:
        live = trades(conn, states=["pending", "open"], run_id=deps.run_id)
    if not live:
        return counts
    positions = {(p.venue, p.symbol): p for p in deps.execution.positions()}
    for trade in live:
        position = positions.get((trade.venue, trade.symbol))
        if _advance(deps, trade, position, marks, counts) != "opened":
            continue
        # an entry whose protective stop already closed the position (both filled between
        # two passes) opens and closes in one pass
        opened = _current(deps, trade.trade_id)
        if opened is not None:
            _advance(deps, opened, position, marks, counts)
    return counts


def _advance(
    deps: PipelineDeps,
    trade: Trade,
    position: NetPosition | None,
    marks: dict[str, Decimal],
    counts: dict[str, int],
) -> str | None:
    """Apply the trade's next step (None: none, or another worker moved it first)."""
    step = _step(deps, trade, position)
    if step is None:
        return None

    def work(session: Session, state: RulesState, version: int) -> None:
        _apply(deps, session, state, version, trade, step, marks)

    try:
        with_rules(deps, work)
    except _Stale:
        return None
    counts[step] += 1
    return step


def _current(deps: PipelineDeps, trade_id: str) -> Trade | None:
    """The trade as stored now, while it is pending or open."""
    with deps.engine.connect() as conn:
        for stored in trades(conn, states=["pending", "open"], run_id=deps.run_id):
            if stored.trade_id == trade_id:
                return stored
    return None


class _Stale(QuorumError):
    """The trade row moved under us (another worker advanced it): skip this pass."""


def _step(deps: PipelineDeps, trade: Trade, position: NetPosition | None) -> str | None:
    order = deps.execution.order(trade.trade_id)
    if trade.state == "pending":
        if order.filled_quantity > 0:
            return "opened"
        if order.state in _DEAD and order.filled_quantity == 0:
            return "cancelled"
        return None
    if position is None or position.quantity == 0:
        return "closed"
    return None


def _apply(
    deps: PipelineDeps,
    session: Session,
    state: RulesState,
    version: int,
    trade: Trade,
    step: str,
    marks: dict[str, Decimal],
) -> None:
    now = deps.clock.now()
    order = deps.execution.order(trade.trade_id)
    if step == "cancelled":
        after = replace(trade, state="cancelled", closed_at=now)
        if not put_trade(session, trade, after):
            raise _Stale(trade.trade_id)
        return
    if step == "opened":
        price = order.average_price or trade.stop
        fill = Fill(
            client_order_id=trade.trade_id,
            venue_trade_id=f"{trade.trade_id}:entry",
            symbol=trade.symbol,
            side=order.side,
            quantity=order.filled_quantity,
            price=price,
            ts=order.updated_at,
        )
        after = replace(trade, state="open", opened_at=order.updated_at, best_price=price)
        if not put_trade(session, trade, after):
            raise _Stale(trade.trade_id)
        update = on_fill(state, fill, deps.risk, opens_position=True)
        commit_rules(deps, session, update, version, deps.run_id)
        return
    pnl = trade_pnl(session, trade)
    entry = order.average_price or trade.initial_stop
    one_r = abs(entry - trade.initial_stop) * order.filled_quantity
    r_multiple = float(pnl / one_r) if one_r > 0 else 0.0
    after = replace(trade, state="closed", pnl=pnl, r_multiple=r_multiple, closed_at=now)
    if not put_trade(session, trade, after):
        raise _Stale(trade.trade_id)
    open_positions = [p for p in deps.execution.positions() if p.quantity != 0]
    total, _ = equity(deps, session, open_positions, marks)
    total = max(total, Decimal("0.01"))
    update = on_trade_closed(state, pnl, total, now, deps.risk)
    commit_rules(deps, session, update, version, deps.run_id)
    deps.journal.append(
        session,
        JournalKind.POSITION,
        {
            "event": "trade_closed",
            "trade_id": trade.trade_id,
            "symbol": trade.symbol,
            "direction": trade.direction,
            "pnl": str(pnl),
            "r_multiple": r_multiple,
            "exit_orders": list(trade.exit_orders),
        },
        actor=deps.settings.actor,
        run_id=deps.run_id,
    )
    metrics().trades_closed.labels("win" if pnl > 0 else "loss").inc()
