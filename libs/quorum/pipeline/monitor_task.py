"""The ``monitor`` task body (``execute`` and ``reconcile`` are in :mod:`.execute_task`).

``monitor`` brings the venue's prices up to now, advances trades from their orders, then
runs ``quorum.risk.monitor`` over the open positions with the latest closed base bar of
each symbol (a bar that opened before the entry is used as a quote at its close only, so
an entry is never stopped by a range it did not live through; the entry's time is its
fill's market time when ``deps.fill_time`` knows it, so an entry filled at a bar's open
lives through that whole bar, else when the fill was recorded). Its actions are applied:
stop moves (checked by ``evaluate_exit`` never to loosen) update the trade, closes and
reductions become risk-reducing exit intents (``evaluate_exit`` → ``store_intent`` →
``execute`` submitted), SAFE_MODE trips and lockouts are applied to the rules state, and
every action is journaled. Exit client ids derive from the trade and the exit's cause
(leg, rule, generation; :mod:`quorum.pipeline.exits`), never the monitor time, so a pass
that finds the same exit condition again stores nothing new; an exit is sized to what the
other working exits of the position leave, and none is stored when they cover it.
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
from quorum.pipeline.accounting import commit_rules, equity, positions_now, with_rules
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.exits import exit_intent
from quorum.pipeline.leverage import market_leverage
from quorum.pipeline.lifecycle import sync_trades
from quorum.pipeline.observe import publish_trading
from quorum.pipeline.persistence import Trade, put_trade, trades
from quorum.pipeline.prices import latest_bar
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
    lifecycle = sync_trades(deps, marks)
    with deps.engine.connect() as conn:
        open_trades = trades(conn, states=["open"], run_id=deps.run_id)
    positions = {p.symbol: p for p in positions_now(deps)}
    watched: list[tuple[Trade, MonitoredPosition]] = []
    quotes: dict[str, Bar | Quote] = {}
    events: list[dict[str, Any]] = []
    for trade in open_trades:
        held = positions.get(trade.symbol)
        if held is None or held.average_entry is None:
            continue
        try:
            entered = _entered(deps, trade)
            trade = _with_best(deps, trade, bars.get(trade.symbol), entered)
            trade, rederived = _protect(deps, trade, held.average_entry)
            leverage = market_leverage(deps, trade.symbol)
            mp = _monitored(deps, trade, held.quantity, held.average_entry, leverage)
            watched.append((trade, mp))
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
    done = events + _act(deps, actions, {t.trade_id: (t, mp) for t, mp in watched}, now, events)
    if deps.publish_gauges:
        publish_trading(deps)
    return {
        "status": "done",
        "as_of": now.isoformat(),
        "open_positions": len(watched),
        "trades": lifecycle,
        "actions": done,
    }


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


def _protective(trade: Trade, entry: Decimal) -> Decimal:
    """The position's stop of record, inside the risk gate's stop band around the fill.

    The gate approved the planned stop against the signal's close; the fill may differ
    (a gap at the next open). The initial stop stands while its distance from the fill is
    within ``[MIN_STOP_FRACTION, MAX_STOP_FRACTION]``. A fill that gapped away from the stop
    so it is farther than the band allows gets the band's edge (a tighter stop: the risk
    budget was sized for the planned distance). A fill at or through the stop, or closer
    than the band's inner edge, gets the tightest valid stop, which the next bar that
    touches it closes."""
    long = trade.direction == Direction.LONG.value
    distance = (
        (entry - trade.initial_stop) / entry if long else (trade.initial_stop - entry) / entry
    )
    if distance > MAX_STOP_FRACTION:
        return entry * (1 - MAX_STOP_FRACTION) if long else entry * (1 + MAX_STOP_FRACTION)
    if distance < MIN_STOP_FRACTION:
        return entry * (1 - MIN_STOP_FRACTION) if long else entry * (1 + MIN_STOP_FRACTION)
    return trade.initial_stop


def working_stop(trade: Trade, entry: Decimal) -> Decimal:
    """The stop the monitor enforces for ``trade`` filled at ``entry``: its working stop,
    tightened to :func:`_protective` when the fill left it outside the band — never
    loosened (a fill within the band's inner edge of the stop keeps the stop; the next bar
    touching it closes the position)."""
    stop = _protective(trade, entry)
    long = trade.direction == Direction.LONG.value
    return stop if (trade.stop < stop if long else trade.stop > stop) else trade.stop


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


def _target(trade: Trade, entry: Decimal) -> Decimal | None:
    target = trade.take_profit
    long = trade.direction == Direction.LONG.value
    if target is None or ((target > entry) if long else (target < entry)):
        return target
    return None


def _monitored(
    deps: PipelineDeps,
    trade: Trade,
    quantity: Decimal,
    entry: Decimal,
    leverage: Decimal = Decimal(1),
) -> MonitoredPosition:
    stop = _protective(trade, entry)
    position = Position(
        position_id=trade.trade_id,
        run_id=deps.run_id,
        symbol=trade.symbol,
        direction=Direction(trade.direction),
        state=PositionState.ACTIVE,
        quantity=abs(quantity),
        average_entry=entry,
        stop_loss=stop,
        take_profit=_target(trade, entry),
        opened_at=trade.opened_at,
    )
    return MonitoredPosition(
        position=position,
        current_stop=trade.stop,
        initial_stop=stop,
        best_price=trade.best_price,
        leverage=leverage,
        stop_order_active=True,
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
        with session_scope(deps.engine) as session:
            moved = put_trade(session, trade, replace(trade, stop=action.new_stop))
        return {"applied": moved, "old_stop": str(trade.stop), "new_stop": str(action.new_stop)}
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
