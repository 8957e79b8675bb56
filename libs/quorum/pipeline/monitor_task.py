"""The ``monitor`` task body (``execute`` and ``reconcile`` are in :mod:`.execute_task`).

``monitor`` brings the venue's prices up to now, refreshes the working protective orders
(a stop that filled at the venue while no worker ran is recorded first), advances trades
from their orders, cancels what is left of the protective orders of trades that ended
(emulated OCO), brings every open trade's resting stop and take-profit up to date
(:mod:`quorum.pipeline.protection`), then runs ``quorum.risk.monitor`` over the open
positions with the latest closed base bar of each symbol (a bar that opened before the
entry is used as a quote at its close only, so an entry is never stopped by a range it
did not live through; the entry's time is its fill's market time when ``deps.fill_time``
knows it, so an entry filled at a bar's open lives through that whole bar, else when the
fill was recorded). The risk monitor is told whether a stop works at the venue (and
since when none has: ``account.unprotected_position``) and the base timeframe's ATR (the
trailing stop's unit). Its actions are applied: stop moves (checked by ``evaluate_exit``
never to loosen) update the trade and cancel-replace the stop at the venue, closes and
reductions become risk-reducing exit intents (``evaluate_exit`` → ``store_intent`` →
``execute`` submitted), SAFE_MODE trips and lockouts are applied to the rules state, and
every action is journaled. Exit client ids derive from the trade and the exit's cause
(leg, rule, generation; :mod:`quorum.pipeline.exits`), never the monitor time, so a pass
that finds the same exit condition again stores nothing new; an exit is sized to what the
other working market exits of the position leave, and none is stored when they cover it.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from quorum.domain import (
    MAX_STOP_FRACTION,
    MIN_STOP_FRACTION,
    Bar,
    Direction,
    JournalKind,
    OrderIntent,
    OrderLeg,
    OrderType,
    Position,
    PositionState,
    Quote,
)
from quorum.errors import QuorumError
from quorum.pipeline import protection
from quorum.pipeline.accounting import commit_rules, equity, positions_now, with_rules
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.exits import exit_intent
from quorum.pipeline.leverage import market_leverage
from quorum.pipeline.lifecycle import sync_trades
from quorum.pipeline.observe import publish_trading
from quorum.pipeline.persistence import Trade, put_trade, trades
from quorum.pipeline.prices import base_atr, latest_bar
from quorum.pipeline.protection import (
    protection_state,
    protective_stop,
    target_price,
    working_stop,
)
from quorum.risk import (
    AccountSnapshot,
    Action,
    Alert,
    ClosePosition,
    MonitoredPosition,
    MoveStop,
    ReducePosition,
    Rule,
    RulesState,
    apply_actions,
    evaluate_exit,
    mark_equity,
)
from quorum.risk import (
    monitor as risk_monitor,
)
from quorum.store import session_scope

log = logging.getLogger(__name__)


def _bars(deps: PipelineDeps, symbols: set[str], now: datetime) -> dict[str, Bar]:
    out = {}
    for symbol in sorted(symbols):
        bar = latest_bar(deps.market, symbol, deps.settings.base_timeframe, now)
        if bar is not None:
            out[symbol] = bar
    return out


def monitor(deps: PipelineDeps) -> JSON:
    now = deps.clock.now()
    with deps.engine.connect() as conn:
        symbols = {t.symbol for t in trades(conn, states=["pending", "open"], run_id=deps.run_id)}
    if deps.quotes is not None:
        for symbol in sorted(symbols):
            deps.quotes.sync(symbol, now)
    bars = _bars(deps, symbols, now)
    marks = {s: b.close for s, b in bars.items()}
    with deps.engine.connect() as conn:
        live = trades(conn, states=["pending", "open"], run_id=deps.run_id)
    for trade in live:
        protection.refresh(deps, trade)
    lifecycle = sync_trades(deps, marks)
    with deps.engine.connect() as conn:
        open_trades = trades(conn, states=["open"], run_id=deps.run_id)
    events: list[dict[str, Any]] = []
    guards = _release(deps, live, open_trades)
    positions = {p.symbol: p for p in positions_now(deps)}
    watched: list[tuple[Trade, MonitoredPosition]] = []
    quotes: dict[str, Bar | Quote] = {}
    for trade in open_trades:
        held = positions.get(trade.symbol)
        if held is None or held.average_entry is None:
            continue
        try:
            entered = _entered(deps, trade)
            trade = _with_best(deps, trade, bars.get(trade.symbol), entered)
            trade, rederived = _protect(deps, trade, held.average_entry)
            guards.extend(protection.ensure(deps, trade))
            atr = base_atr(deps.market, trade.symbol, deps.settings.base_timeframe, now)
            leverage = market_leverage(deps, trade.symbol)
            monitored = _monitored(
                deps, trade, held.quantity, held.average_entry, entered, atr, leverage
            )
            watched.append((trade, monitored))
        except Exception as exc:  # one position's failure must not leave the others unwatched
            log.exception("monitor: position %s in %s not monitored", trade.trade_id, trade.symbol)
            events.append(_failure(trade, exc))
            continue
        if rederived is not None:
            events.append(rederived)
        bar = bars.get(trade.symbol)
        if bar is not None:
            quotes[trade.symbol] = bar if bar.ts >= entered else _quote(bar)

    def work(session: Session, state: RulesState, version: int) -> list[Action]:
        total, _ = equity(deps, session, list(positions.values()), marks)
        marked = mark_equity(state, max(total, Decimal("0.01")), now, deps.risk)
        actions = risk_monitor(
            [mp for _, mp in watched],
            quotes,
            marked.state,
            now,
            deps.risk,
            AccountSnapshot(equity=max(total, Decimal("0.01"))),
        )
        applied = apply_actions(marked.state, actions, now, deps.risk)
        update = applied.model_copy(update={"events": (*marked.events, *applied.events)})
        if update.events or update.state != state:
            commit_rules(deps, session, update, version, deps.run_id)
        return actions

    actions = with_rules(deps, work)
    watching = {t.trade_id: (t, mp) for t, mp in watched}
    done = events + _act(deps, actions, watching, now, [*events, *guards])
    if deps.publish_gauges:
        publish_trading(deps)
    return {
        "status": "done",
        "as_of": now.isoformat(),
        "open_positions": len(watched),
        "trades": lifecycle,
        "actions": done,
        "protection": guards,
    }


def _release(
    deps: PipelineDeps, live: list[Trade], still_open: list[Trade]
) -> list[dict[str, Any]]:
    """Cancel what is left of the protective orders of the trades that just ended (the
    other leg of a filled stop or target: emulated OCO)."""
    open_ids = {t.trade_id for t in still_open}
    events: list[dict[str, Any]] = []
    for trade in live:
        if trade.trade_id not in open_ids:
            events.extend(protection.release(deps, trade))
    return events


def _quote(bar: Bar) -> Quote:
    return Quote(symbol=bar.symbol, ts=bar.close_time, bid=bar.close, ask=bar.close, last=bar.close)


def _entered(deps: PipelineDeps, trade: Trade) -> datetime:
    """When the position began to live through prices (see module doc)."""
    known = None if deps.fill_time is None else deps.fill_time(trade.trade_id)
    return trade.opened_at if known is None else min(known, trade.opened_at)


def _with_best(deps: PipelineDeps, trade: Trade, bar: Bar | None, entered: datetime) -> Trade:
    """Record the most favourable price seen since entry (the trailing stop's anchor)."""
    if bar is None or bar.ts < entered:
        return trade
    favourable = bar.high if trade.direction == Direction.LONG.value else bar.low
    best = trade.best_price
    better = best is None or (
        favourable > best if trade.direction == Direction.LONG.value else favourable < best
    )
    if not better:
        return trade
    after = replace(trade, best_price=favourable)
    with session_scope(deps.engine) as session:
        if put_trade(session, trade, after):
            return replace(after, version=trade.version + 1)
    return trade


def _protect(
    deps: PipelineDeps, trade: Trade, entry: Decimal
) -> tuple[Trade, dict[str, Any] | None]:
    """Persist :func:`working_stop` when the fill put the planned stop outside the band (a
    risk event: stored and reported once, when it happens)."""
    stop = working_stop(trade, entry)
    if stop == trade.stop:
        return trade, None
    after = replace(trade, stop=stop)
    with session_scope(deps.engine) as session:
        if not put_trade(session, trade, after):
            raise QuorumError(f"trade {trade.trade_id}: changed while re-deriving its stop")
    event = {
        "kind": "alert",
        "rule": "monitor.stop_rederived",
        "reason": (
            f"fill {entry} put the planned stop {trade.stop} outside "
            f"[{MIN_STOP_FRACTION:%}, {MAX_STOP_FRACTION:%}] of the entry; stop set to {stop}"
        ),
        "symbol": trade.symbol,
        "trade_id": trade.trade_id,
        "old_stop": str(trade.stop),
        "new_stop": str(stop),
    }
    log.warning("monitor: %s %s", trade.symbol, event["reason"])
    return replace(after, version=trade.version + 1), event


def _failure(trade: Trade, exc: Exception) -> dict[str, Any]:
    return {
        "kind": "alert",
        "rule": "monitor.position_failed",
        "reason": f"{type(exc).__name__}: {exc}"[:500],
        "symbol": trade.symbol,
        "trade_id": trade.trade_id,
    }


def _monitored(
    deps: PipelineDeps,
    trade: Trade,
    quantity: Decimal,
    entry: Decimal,
    entered: datetime,
    atr: Decimal | None,
    leverage: Decimal = Decimal(1),
) -> MonitoredPosition:
    stop = protective_stop(trade, entry)
    guard = protection_state(deps, trade, entered)
    position = Position(
        position_id=trade.trade_id,
        run_id=deps.run_id,
        symbol=trade.symbol,
        direction=Direction(trade.direction),
        state=PositionState.ACTIVE,
        quantity=abs(quantity),
        average_entry=entry,
        stop_loss=stop,
        take_profit=target_price(trade, entry),
        opened_at=trade.opened_at,
    )
    return MonitoredPosition(
        position=position,
        current_stop=trade.stop,
        initial_stop=stop,
        best_price=trade.best_price,
        atr=atr,
        leverage=leverage,
        stop_order_active=guard.active,
        unprotected_since=guard.unprotected_since,
    )


def _act(
    deps: PipelineDeps,
    actions: list[Action],
    watched: dict[str, tuple[Trade, MonitoredPosition]],
    now: datetime,
    events: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Apply the monitor's actions; journal them with this pass's position events (the
    returned list holds the actions only)."""
    done: list[dict[str, Any]] = []
    for action in actions:
        record: dict[str, Any] = {"kind": action.kind, "rule": action.rule, "reason": action.reason}
        if isinstance(action, MoveStop | ClosePosition | ReducePosition):
            item = watched.get(action.position_id)
            if item is None:
                continue
            trade, mp = item
            record.update(_order_action(deps, action, trade, mp, now))
        elif isinstance(action, Alert):
            record["symbol"] = action.symbol
        done.append(record)
    if done or events:
        with session_scope(deps.engine) as session:
            deps.journal.append(
                session,
                JournalKind.RISK_DECISION,
                {"event": "monitor_actions", "actions": [*events, *done]},
                actor=deps.settings.actor,
                run_id=deps.run_id,
            )
    return done


def _order_action(
    deps: PipelineDeps,
    action: MoveStop | ClosePosition | ReducePosition,
    trade: Trade,
    mp: MonitoredPosition,
    now: datetime,
) -> dict[str, Any]:
    position = mp.position
    exit_side = position.direction.exit_side
    if isinstance(action, MoveStop):
        intent = OrderIntent(
            run_id=deps.run_id,
            strategy=deps.settings.strategy,
            symbol=trade.symbol,
            signal_time=now,
            side=exit_side,
            leg=OrderLeg.STOP_LOSS,
            order_type=OrderType.STOP,
            quantity=position.quantity,
            stop_price=action.new_stop,
            reduce_only=True,
        )
        decision = evaluate_exit(intent, position, now, current_stop=trade.stop)
        if not decision.approved:
            return {"applied": False, "decision": decision.reason}
        after = replace(trade, stop=action.new_stop)
        with session_scope(deps.engine) as session:
            moved = put_trade(session, trade, after)
        record: dict[str, Any] = {
            "applied": moved,
            "old_stop": str(trade.stop),
            "new_stop": str(action.new_stop),
        }
        if moved:  # the stop at the venue follows: cancel-replace (protection.ensure)
            after = replace(after, version=trade.version + 1)
            record["orders"] = protection.ensure(deps, after)
        return record
    leg = OrderLeg.EXIT
    if isinstance(action, ClosePosition) and action.rule == Rule.STOP_LOSS_HIT:
        leg = OrderLeg.STOP_LOSS
    elif isinstance(action, ClosePosition) and action.rule == Rule.TAKE_PROFIT_HIT:
        leg = OrderLeg.TAKE_PROFIT
    exit_order = exit_intent(
        deps,
        subject=trade.trade_id,
        venue=trade.venue,
        symbol=trade.symbol,
        side=exit_side,
        leg=leg,
        rule=str(action.rule),
        quantity=action.quantity,
        held=position.quantity,
        now=now,
    )
    if isinstance(exit_order, str):
        return {"applied": False, "decision": exit_order}
    intent = exit_order
    decision = evaluate_exit(intent, position, now)
    if not decision.approved:
        return {"applied": False, "decision": decision.reason}
    cid = intent.client_order_id
    with session_scope(deps.engine) as session:
        stored = deps.execution.store_intent(session, intent, decision)
        if stored.status == "stored" and cid not in trade.exit_orders:
            exits = (*trade.exit_orders, cid)
            if not put_trade(session, trade, replace(trade, exit_orders=exits)):
                raise QuorumError(f"trade {trade.trade_id}: changed while storing exit {cid}")
    if stored.status != "refused":
        deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
    return {"applied": stored.status != "refused", "client_order_id": cid, "intent": stored.status}
