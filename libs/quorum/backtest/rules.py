"""A deterministic rule strategy run through the same risk → execution → journal path.

``ema-cross:FAST,SLOW[,STOP]`` (long only): at a base-bar close where EMA(FAST) crosses
above EMA(SLOW) — ``fast[-2] < slow[-2] and fast[-1] > slow[-1]``, as backtesting.py's
``crossover`` — and no trade is open in the symbol, a long signal (entry = that close,
stop STOP below it) goes through ``quorum.risk.evaluate`` and, approved, becomes a stored
market intent (journaled, then executed: it fills at the next bar's open). At a close
where EMA(FAST) crosses below EMA(SLOW) an open long gets a reduce-only market exit
(``evaluate_exit``), filled at the next open unless that bar had touched the stop. A
position flattened at a bar's open (stop, target or exit) is already closed when that bar's
close is evaluated, so a golden cross there re-enters.
EMA is ``pandas.Series.ewm(span=N, adjust=False).mean()`` over the closes from the run's
first bar (causal: the value at a bar depends on that bar and earlier ones only).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from quorum.backtest.spec import EmaCross
from quorum.domain import (
    BarFrame,
    Direction,
    JournalKind,
    OrderIntent,
    OrderLeg,
    OrderType,
    Position,
    PositionState,
    RiskDecision,
    Signal,
    format_time,
)
from quorum.pipeline import PipelineTasks
from quorum.pipeline.accounting import commit_rules, portfolio, positions_now, rules_state
from quorum.pipeline.analyze_task import pending_trade, signal_row
from quorum.pipeline.persistence import Trade, insert_signal, insert_trade, put_trade, trades
from quorum.risk import MarketInfo, evaluate, evaluate_exit, record_order
from quorum.store import session_scope


def ema(closes: np.ndarray[Any, Any], span: int) -> np.ndarray[Any, Any]:
    return pd.Series(closes).ewm(span=span, adjust=False).mean().to_numpy()


class EmaCrossStrategy:
    """Signals at base-bar closes for every symbol of the run (see module doc)."""

    def __init__(self, tasks: PipelineTasks, rule: EmaCross, frames: dict[str, BarFrame]) -> None:
        self.tasks = tasks
        self.rule = rule
        self._index: dict[str, dict[datetime, int]] = {}
        self._fast: dict[str, np.ndarray[Any, Any]] = {}
        self._slow: dict[str, np.ndarray[Any, Any]] = {}
        self._close: dict[str, np.ndarray[Any, Any]] = {}
        for symbol, frame in frames.items():
            closes = frame.df["close"].to_numpy()
            delta = frame.timeframe.delta
            self._index[symbol] = {
                ts.to_pydatetime() + delta: i for i, ts in enumerate(frame.df.index)
            }
            self._fast[symbol] = ema(closes, rule.fast)
            self._slow[symbol] = ema(closes, rule.slow)
            self._close[symbol] = closes

    def cross(self, symbol: str, close: datetime) -> int:
        """+1 golden cross, -1 death cross, 0 none, at the bar closing at ``close``."""
        i = self._index.get(symbol, {}).get(close)
        if i is None or i < 1:
            return 0
        f, s = self._fast[symbol], self._slow[symbol]
        if f[i - 1] < s[i - 1] and f[i] > s[i]:
            return 1
        if f[i - 1] > s[i - 1] and f[i] < s[i]:
            return -1
        return 0

    def on_close(self, close: datetime) -> list[dict[str, object]]:
        deps = self.tasks.deps
        with deps.engine.connect() as conn:
            live = {t.symbol: t for t in trades(conn, ["pending", "open"], run_id=deps.run_id)}
        out = []
        for symbol in deps.settings.symbols:
            signal = self.cross(symbol, close)
            trade = live.get(symbol)
            if signal > 0 and trade is None:
                i = self._index[symbol][close]
                out.append(self._enter(symbol, close, Decimal(repr(float(self._close[symbol][i])))))
            elif signal < 0 and trade is not None and trade.state == "open":
                out.append(self._exit(trade, close))
        return out

    def _enter(self, symbol: str, close: datetime, price: Decimal) -> dict[str, object]:
        deps = self.tasks.deps
        rule = self.rule
        tf = deps.settings.base_timeframe
        key = f"analyze:{deps.run_id}:{symbol}:{tf.value}:{format_time(close)}"
        stored = self.tasks.runs.get(key)
        if stored is not None:
            return stored
        signal = Signal(
            run_id=deps.run_id,
            strategy=deps.settings.strategy,
            symbol=symbol,
            timeframe=tf,
            as_of=close,
            direction=Direction.LONG,
            entry=price,
            stop_loss=(price * (1 - rule.stop)).quantize(_tick(price)),
            take_profit=(price * (1 + rule.target)).quantize(_tick(price)),
            confidence=1.0,
            explanation=f"EMA({rule.fast}) crossed above EMA({rule.slow}) at {format_time(close)}",
        )
        with deps.engine.connect() as conn:
            state, version = rules_state(deps, conn)
            held = positions_now(deps)
            marks = {symbol: price}
            account = portfolio(deps, conn, held, marks)
        market = MarketInfo(
            symbol=symbol,
            amount_step=deps.settings.amount_step,
            price_tick=_tick(price),
            min_notional=deps.settings.min_notional,
            reference_price=price,
        )
        decision = evaluate(signal, account, market, state, close, deps.risk)

        def work(session: Session) -> dict[str, object]:
            return self._commit(session, key, signal, decision, version)

        result, _ = self.tasks.runs.once("analyze", key, work)
        cid = result.get("client_order_id")
        if result.get("status") == "approved" and isinstance(cid, str):
            deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)
        return result

    def _commit(
        self, session: Session, key: str, signal: Signal, decision: RiskDecision, version: int
    ) -> dict[str, object]:
        deps = self.tasks.deps
        sid = "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:31]
        status, reason, cid = (
            ("approved" if decision.approved else "rejected"),
            decision.reason,
            None,
        )
        deps.journal.append(
            session,
            JournalKind.SIGNAL,
            {
                "signal": signal.model_dump(mode="json"),
                "decision": decision.model_dump(mode="json"),
            },
            actor=deps.settings.actor,
            run_id=deps.run_id,
        )
        if decision.approved:
            intent = OrderIntent(
                run_id=deps.run_id,
                strategy=deps.settings.strategy,
                symbol=signal.symbol,
                signal_time=signal.as_of,
                side=signal.direction.entry_side,
                leg=OrderLeg.ENTRY,
                order_type=OrderType.MARKET,
                quantity=decision.quantity,
            )
            outcome = deps.execution.store_intent(session, intent, decision)
            if outcome.status == "refused":
                status, reason = "refused", outcome.reason
            else:
                cid = intent.client_order_id
                state, _ = rules_state(deps, session)
                commit_rules(
                    deps,
                    session,
                    record_order(state, cid, deps.clock.now(), deps.risk),
                    version,
                    deps.run_id,
                )
                insert_trade(session, pending_trade(signal, cid, sid, "paper", deps.run_id))
        insert_signal(
            session,
            signal_row(
                deps.run_id, sid, key, signal, decision, status, reason, cid, deps.clock.now()
            ),
        )
        return {
            "symbol": signal.symbol,
            "as_of": format_time(signal.as_of),
            "key": key,
            "status": status,
            "signal_id": sid,
            "quantity": str(decision.quantity),
            "reason": reason,
            "client_order_id": cid,
        }

    def _exit(self, trade: Trade, close: datetime) -> dict[str, object]:
        deps = self.tasks.deps
        held = {p.symbol: p for p in positions_now(deps)}.get(trade.symbol)
        if held is None or held.average_entry is None:
            return {"symbol": trade.symbol, "status": "flat"}
        entry = held.average_entry
        direction = Direction(trade.direction)
        long = direction is Direction.LONG
        stop = trade.initial_stop
        if (stop >= entry) if long else (stop <= entry):
            stop = entry * (Decimal("0.999") if long else Decimal("1.001"))
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
        intent = OrderIntent(
            run_id=deps.run_id,
            strategy=deps.settings.strategy,
            symbol=trade.symbol,
            signal_time=close,
            side=direction.exit_side,
            leg=OrderLeg.EXIT,
            order_type=OrderType.MARKET,
            quantity=abs(held.quantity),
            reduce_only=True,
        )
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


def _tick(price: Decimal) -> Decimal:
    return Decimal(1).scaleb(price.adjusted() - 6)
