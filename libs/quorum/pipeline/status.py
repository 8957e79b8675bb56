"""The operator's status report: positions, open orders, today's P&L, SAFE_MODE, lockouts,
cooldown and the trading state (the kill switch: one record, `trading_state`)."""

from __future__ import annotations

from decimal import Decimal

from quorum.domain import OrderState
from quorum.errors import QuorumError
from quorum.execution import WORKING_STATES
from quorum.pipeline.accounting import equity, positions_now, rules_state
from quorum.pipeline.deps import PipelineDeps
from quorum.pipeline.persistence import trades
from quorum.pipeline.prices import latest_bar
from quorum.pipeline.reports import (
    KillSwitchView,
    LockoutView,
    OrderView,
    PnlView,
    PositionView,
    SafeModeView,
    StatusReport,
)
from quorum.risk import refresh_state

_OPEN = set(WORKING_STATES) | {OrderState.NEW, OrderState.UNKNOWN}


def build_status(deps: PipelineDeps) -> StatusReport:
    now = deps.clock.now()
    held = positions_now(deps)
    marks: dict[str, Decimal] = {}
    for p in held:
        try:
            bar = latest_bar(deps.market, p.symbol, deps.settings.base_timeframe, now)
        except QuorumError:
            bar = None
        if bar is not None:
            marks[p.symbol] = bar.close
    with deps.engine.connect() as conn:
        stored, version = rules_state(deps, conn)
        open_trades = {t.symbol: t for t in trades(conn, states=["open"], run_id=deps.run_id)}
        total, unrealized = equity(deps, conn, held, marks)
    state = refresh_state(stored, now, deps.risk).state
    trading = deps.execution.trading_status()
    kill = KillSwitchView(
        engaged=trading.engaged,
        state=trading.state.value,
        by=trading.by or None,
        reason=trading.reason or None,
        since=trading.since,
    )
    mode = state.safe_mode
    positions = []
    for p in held:
        trade = open_trades.get(p.symbol)
        mark = marks.get(p.symbol)
        positions.append(
            PositionView(
                venue=p.venue,
                symbol=p.symbol,
                quantity=p.quantity,
                average_entry=p.average_entry,
                stop=None if trade is None else trade.stop,
                take_profit=None if trade is None else trade.take_profit,
                mark=mark,
                unrealized_pnl=None if mark is None else p.unrealized_pnl(mark),
                opened_at=p.opened_at,
            )
        )
    orders = [
        OrderView(
            client_order_id=o.client_order_id,
            venue=o.venue,
            symbol=o.symbol,
            side=o.side.value,
            leg=o.leg.value,
            order_type=o.order_type.value,
            state=o.state.value,
            quantity=o.quantity,
            filled_quantity=o.filled_quantity,
            created_at=o.created_at,
        )
        for o in deps.execution.orders(_OPEN)
    ]
    return StatusReport(
        as_of=now,
        trading_mode=deps.trading_mode,
        kill_switch=kill,
        safe_mode=None
        if mode is None
        else SafeModeView(
            cause=mode.cause.value,
            reason=mode.reason,
            tripped_at=mode.tripped_at,
            resets_at=mode.resets_at,
        ),
        lockouts=tuple(
            LockoutView(rule=lock.rule, reason=lock.reason, since=lock.since, until=lock.until)
            for lock in state.active_lockouts(now)
        ),
        cooldown_until=state.cooldown_until
        if state.cooldown_until and state.cooldown_until > now
        else None,
        positions=tuple(positions),
        open_orders=tuple(orders),
        pnl=PnlView(
            realized_today=state.realized_pnl_today,
            unrealized=unrealized,
            day_start_equity=state.day_start_equity,
            equity=total,
        ),
        rules_version=version,
    )


__all__ = ["build_status"]
