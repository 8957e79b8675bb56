"""Rule strategies in the pipeline: each closed base bar handed to the strategy, what it
proposes committed through the one decision-commit path.

:class:`StrategyRunner` is the rule-strategy counterpart of ``plan → scan → analyze``: the
bar driver calls :meth:`StrategyRunner.on_close` at every base-bar close with the bar that
just closed per symbol. An :class:`~quorum.strategies.Enter` becomes a
:class:`~quorum.domain.Signal` at that close, is decided by ``quorum.risk.evaluate`` on the
account as it stands and committed by :func:`~quorum.pipeline.decisions.commit_decision`
under the same task key an analysis of that bar would use (so a redelivery finds it); an
:class:`~quorum.strategies.Exit` becomes a reduce-only market exit checked by
``evaluate_exit``. Execution follows through the dispatcher, as for the agents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from quorum.domain import (
    Bar,
    Direction,
    OrderLeg,
    Position,
    PositionState,
    Signal,
    format_time,
)
from quorum.pipeline.accounting import account_now, market_for, positions_now, rules_state
from quorum.pipeline.analyze_task import analyze_key
from quorum.pipeline.decisions import commit_decision
from quorum.pipeline.deps import JSON
from quorum.pipeline.exits import exit_intent
from quorum.pipeline.leverage import market_leverage
from quorum.pipeline.persistence import Trade, put_trade, trades
from quorum.pipeline.protection import protective_stop
from quorum.pipeline.tasks import PipelineTasks
from quorum.risk import evaluate, evaluate_exit, prepare_portfolio
from quorum.store import session_scope
from quorum.strategies import Enter, Exit, Holding, RuleStrategy, price_tick

STRATEGY_EXIT = "strategy.exit"
"""The rule of an exit the rule strategy proposed (part of the exit's cause)."""


def holding(trade: Trade | None) -> Holding:
    if trade is None:
        return Holding.FLAT
    if trade.state == "pending":
        return Holding.PENDING
    return Holding.LONG if trade.direction == Direction.LONG.value else Holding.SHORT


class StrategyRunner:
    """Feeds one rule strategy the run's closed bars and commits what it proposes."""

    def __init__(self, tasks: PipelineTasks, strategy: RuleStrategy) -> None:
        self.tasks = tasks
        self.strategy = strategy

    def on_close(self, close: datetime, bars: Mapping[str, Bar]) -> list[JSON]:
        """Hand every symbol's bar that closed at ``close`` to the strategy, in the run's
        symbol order; returns the task results of what it proposed."""
        deps = self.tasks.deps
        with deps.engine.connect() as conn:
            live = {t.symbol: t for t in trades(conn, ["pending", "open"], run_id=deps.run_id)}
        out: list[JSON] = []
        for symbol in deps.settings.symbols:
            bar = bars.get(symbol)
            if bar is None:
                continue
            trade = live.get(symbol)
            proposal = self.strategy.on_bar(bar, holding(trade))
            if isinstance(proposal, Enter) and trade is None:
                out.append(self._enter(bar, close, proposal))
            elif isinstance(proposal, Exit) and trade is not None and trade.state == "open":
                out.append(self._exit(trade, close))
        return out

    def _enter(self, bar: Bar, close: datetime, proposal: Enter) -> JSON:
        deps = self.tasks.deps
        symbol = bar.symbol
        tf = deps.settings.base_timeframe
        key = analyze_key(deps.run_id, symbol, tf, format_time(close))
        stored = self.tasks.runs.get(key)
        if stored is not None:
            return stored
        price = Decimal(repr(float(bar.close)))
        signal = Signal(
            run_id=deps.run_id,
            strategy=deps.settings.strategy,
            symbol=symbol,
            timeframe=tf,
            as_of=close,
            direction=proposal.direction,
            entry=price,
            stop_loss=proposal.stop_loss,
            take_profit=proposal.take_profit,
            confidence=proposal.confidence,
            explanation=proposal.explanation,
            leverage=market_leverage(deps, symbol),
        )
        with deps.engine.connect() as conn:
            state, version = rules_state(deps, conn)
            snapshot = account_now(deps, conn, close, {symbol: price})
        held = {e.symbol for e in snapshot.exposures}
        market = market_for(deps, symbol, price, price_tick(price), None, close, held)
        account = prepare_portfolio(snapshot, deps.risk, (market,), state)
        decision = evaluate(signal, account, market, state, close, deps.risk)

        def work(session: Session) -> JSON:
            return commit_decision(
                deps, session, key, signal, decision, account, market, version, journal=True
            )

        result, _ = self.tasks.runs.once("analyze", key, work)
        cid = result.get("client_order_id")
        if result.get("status") == "approved" and isinstance(cid, str):
            deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
        return result

    def _exit(self, trade: Trade, close: datetime) -> JSON:
        deps = self.tasks.deps
        held = {p.symbol: p for p in positions_now(deps)}.get(trade.symbol)
        if held is None or held.average_entry is None:
            return {"symbol": trade.symbol, "status": "flat"}
        entry = held.average_entry
        direction = Direction(trade.direction)
        # The planned stop may sit outside the band around a gapped fill (or across it):
        # the position is judged with the stop the monitor enforces for that fill.
        stop = protective_stop(trade, entry)
        position = Position(
            position_id=trade.trade_id,
            run_id=deps.run_id,
            symbol=trade.symbol,
            direction=direction,
            state=PositionState.ACTIVE,
            quantity=abs(held.quantity),
            average_entry=entry,
            stop_loss=stop,
            opened_at=trade.opened_at,
        )
        intent = exit_intent(
            deps,
            subject=trade.trade_id,
            venue=trade.venue,
            symbol=trade.symbol,
            side=direction.exit_side,
            leg=OrderLeg.EXIT,
            rule=STRATEGY_EXIT,
            quantity=abs(held.quantity),
            held=abs(held.quantity),
            now=close,
        )
        if isinstance(intent, str):
            return {"symbol": trade.symbol, "status": "exit working", "reason": intent}
        decision = evaluate_exit(intent, position, close)
        if not decision.approved:
            return {"symbol": trade.symbol, "status": "refused", "reason": decision.reason}
        cid = intent.client_order_id
        with session_scope(deps.engine) as session:
            stored = deps.execution.store_intent(session, intent, decision)
            if stored.status == "stored" and cid not in trade.exit_orders:
                put_trade(session, trade, replace(trade, exit_orders=(*trade.exit_orders, cid)))
        if stored.status != "refused":
            deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
        return {"symbol": trade.symbol, "status": f"exit {stored.status}", "client_order_id": cid}
