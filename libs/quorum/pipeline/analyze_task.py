"""The ``analyze`` task body: scan → LangGraph agents → score → risk → Signal → intent.

The graph's risk gate is ``quorum.risk.evaluate`` against a Portfolio built from the
execution positions and the persisted rules state. The graph's own journal entries
(opinions, score, decision) are written node by node and checkpointed under the task key,
so a redelivered, interrupted analysis resumes without asking any model again. The
outcome is committed in ONE transaction that also claims the task key: the signal row,
the stored intent (``ExecutionService.store_intent``, journaled before anything is sent),
the trade row and the rules-state write (compare-and-set on its version; when another
worker moved the state since the graph's snapshot, the decision is re-evaluated on the new
state before storing). Only after the commit is ``execute`` submitted (key = client id).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from quorum.agents import AnalysisOutcome, AnalysisServices, PortfolioRiskGate, build_analysis_graph
from quorum.agents import analyze as run_graph
from quorum.analysis.scan import ScanParams
from quorum.domain import (
    OrderIntent,
    OrderLeg,
    OrderType,
    RiskDecision,
    ScanResult,
    Signal,
    Timeframe,
    format_time,
    parse_time,
)
from quorum.pipeline.accounting import (
    RulesConflict,
    commit_rules,
    market_info,
    portfolio,
    positions_now,
    rules_state,
)
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.journaling import StageJournal
from quorum.pipeline.learned import learned_scoring
from quorum.pipeline.persistence import Trade, insert_signal, insert_trade, trades
from quorum.pipeline.prices import latest_bar
from quorum.pipeline.runs import TaskRuns
from quorum.pipeline.scan import ScanStage
from quorum.risk import MarketInfo, Portfolio, evaluate, record_order
from quorum.telemetry.metrics import metrics
from quorum.telemetry.tracing import TracedRouter, span, timed


def analyze_key(run_id: str, symbol: str, timeframe: Timeframe, as_of: str) -> str:
    return f"analyze:{run_id}:{symbol}:{timeframe.value}:{as_of}"


def _send(deps: PipelineDeps, result: JSON) -> None:
    cid = result.get("client_order_id")
    if result.get("status") == "approved" and cid:
        deps.dispatcher.submit("execute", {"client_order_id": cid}, key=cid)


def analyze(deps: PipelineDeps, runs: TaskRuns, symbol: str, as_of: str, timeframe: str) -> JSON:
    """One analysis inside the decision's trace, timed and counted by decision and reason."""
    attributes = {"quorum.symbol": symbol, "quorum.timeframe": timeframe, "quorum.as_of": as_of}
    with span("quorum.analyze", **attributes) as current:
        started = time.perf_counter()
        result = _analyze(deps, runs, symbol, as_of, timeframe)
        m = metrics()
        m.analysis_latency.observe(time.perf_counter() - started)
        decision = str(result.get("status"))
        current.set_attribute("quorum.decision", decision)
        m.signals.labels(decision, result.get("rule") or m.reasons(result.get("reason"))).inc()
        return result


def _analyze(deps: PipelineDeps, runs: TaskRuns, symbol: str, as_of: str, timeframe: str) -> JSON:
    tf = Timeframe.parse(timeframe)
    at = parse_time(as_of)
    key = analyze_key(deps.run_id, symbol, tf, format_time(at))
    stored = runs.get(key)
    if stored is not None:
        _send(deps, stored)
        return stored
    with deps.engine.connect() as conn:
        busy = [
            t for t in trades(conn, ["pending", "open"], run_id=deps.run_id) if t.symbol == symbol
        ]
    if busy:
        skipped: JSON = {
            "symbol": symbol,
            "as_of": format_time(at),
            "key": key,
            "status": "skipped",
            "reason": f"one trade per symbol: {busy[0].trade_id} in {symbol} is {busy[0].state}",
        }
        return runs.once("analyze", key, lambda _session: skipped)[0]
    settings = deps.settings
    frames = sorted(set(settings.frames) | {tf}, key=lambda t: t.seconds)
    stage = ScanStage(
        deps.market, settings.base_timeframe, ScanParams(history_bars=settings.history_bars)
    )
    scan = stage.scan(symbol, frames, at)
    with deps.engine.connect() as conn:
        state, version = rules_state(deps, conn)
        held = positions_now(deps)
        marks = _marks(deps, scan, tf, [p.symbol for p in held])
        account = portfolio(deps, conn, held, marks)
        calibrator, weights = learned_scoring(conn)
    market = market_info(deps, scan, tf)
    journal = StageJournal(deps.journal, deps.engine, deps.run_id, actor=settings.actor)
    gate = PortfolioRiskGate(account, market, state, deps.risk)
    services = AnalysisServices(
        router=TracedRouter(deps.router),
        journal=journal,
        risk_gate=timed(gate, "quorum.risk.evaluate", metrics().risk_latency.observe),
        run_id=deps.run_id,
        calibrator=calibrator,
        scoring=deps.scoring,
        weights=weights,
        settings=deps.agents.model_copy(update={"decision_timeframe": tf}),
        stop_settings=deps.risk,
    )
    graph = build_analysis_graph(services, deps.checkpointer)
    with span("quorum.agents"):
        outcome = run_graph(graph, scan, at, thread_id=key)
    proposed = outcome.signal or _candidate(graph, key)
    for attempt in range(5):
        try:
            with span("quorum.commit", **{"quorum.attempt": attempt}):
                result, _fresh = runs.once(
                    "analyze",
                    key,
                    lambda s: _commit(deps, s, key, outcome, proposed, account, market, version),
                )
            break
        except RulesConflict:
            if attempt == 4:
                raise
    _send(deps, result)
    return result


def _marks(
    deps: PipelineDeps, scan: ScanResult, tf: Timeframe, symbols: list[str]
) -> dict[str, Decimal]:
    marks: dict[str, Decimal] = {}
    item = scan.get(tf)
    if item is not None and item.snapshot.values.get("close"):
        marks[scan.symbol] = Decimal(repr(item.snapshot.values["close"]))
    for symbol in symbols:
        if symbol not in marks:
            bar = latest_bar(deps.market, symbol, deps.settings.base_timeframe, scan.as_of)
            if bar is not None:
                marks[symbol] = bar.close
    return marks


def _candidate(graph: Any, key: str) -> Signal | None:
    """The signal the graph proposed to the risk gate (kept when the gate rejected it)."""
    values = graph.get_state({"configurable": {"thread_id": key}}).values
    candidate = values.get("candidate") if isinstance(values, dict) else None
    return candidate if isinstance(candidate, Signal) else None


def signal_id(key: str) -> str:
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:31]


def _commit(
    deps: PipelineDeps,
    session: Session,
    key: str,
    outcome: AnalysisOutcome,
    signal: Signal | None,
    account: Portfolio,
    market: MarketInfo,
    seen_version: int,
) -> JSON:
    base: JSON = {"symbol": outcome.symbol, "as_of": format_time(outcome.as_of), "key": key}
    if signal is None or outcome.decision is None:
        score = outcome.score or outcome.prefilter
        return {
            **base,
            "status": "no_trade",
            "reason": outcome.no_trade_reason or "no signal",
            "score": None if score is None else score.score,
        }
    state, version = rules_state(deps, session)
    decision = outcome.decision
    if decision is None or version != seen_version:
        decision = evaluate(signal, account, market, state, outcome.as_of, deps.risk)
    sid = signal_id(key)
    cid = None
    status = "approved" if decision.approved else "rejected"
    reason = decision.reason
    if status == "approved":
        intent = _intent(deps, signal, decision)
        stored = deps.execution.store_intent(session, intent, decision)
        if stored.status == "refused":
            status, reason = "refused", stored.reason
        else:
            cid = intent.client_order_id
            update = record_order(state, cid, deps.clock.now(), deps.risk)
            commit_rules(deps, session, update, version, deps.run_id)
            venue = stored.order.venue if stored.order is not None else deps.trading_mode
            insert_trade(session, pending_trade(signal, cid, sid, venue, deps.run_id))
    insert_signal(
        session,
        signal_row(deps.run_id, sid, key, signal, decision, status, reason, cid, deps.clock.now()),
    )
    return {
        **base,
        "status": status,
        "signal_id": sid,
        "direction": signal.direction.value,
        "timeframe": signal.timeframe.value,
        "quantity": str(decision.quantity),
        "reason": reason,
        "rule": _failed_rule(decision),
        "client_order_id": cid,
        "score": None if signal.score is None else signal.score.score,
    }


def _failed_rule(decision: RiskDecision) -> str | None:
    failed = [c.rule for c in decision.checks if not c.passed]
    return failed[-1] if failed else None


def _intent(deps: PipelineDeps, signal: Signal, decision: RiskDecision) -> OrderIntent:
    return OrderIntent(
        run_id=deps.run_id,
        strategy=deps.settings.strategy,
        symbol=signal.symbol,
        signal_time=signal.as_of,
        side=signal.direction.entry_side,
        leg=OrderLeg.ENTRY,
        order_type=OrderType.MARKET,
        quantity=decision.quantity,
    )


def pending_trade(signal: Signal, cid: str, sid: str, venue: str, run_id: str) -> Trade:
    """The trade row an approved signal opens (pending until its entry fills)."""
    return Trade(
        trade_id=cid,
        run_id=run_id,
        venue=venue,
        symbol=signal.symbol,
        direction=signal.direction.value,
        signal_id=sid,
        state="pending",
        stop=signal.stop_loss,
        initial_stop=signal.stop_loss,
        take_profit=signal.take_profit,
        best_price=None,
        exit_orders=(),
        pnl=None,
        r_multiple=None,
        learned=False,
        opened_at=signal.as_of,
        closed_at=None,
        version=1,
    )


def signal_row(
    run_id: str,
    sid: str,
    key: str,
    signal: Signal,
    decision: RiskDecision,
    status: str,
    reason: str,
    cid: str | None,
    now: datetime,
) -> dict[str, object]:
    """The stored signal with its score breakdown, explanation and risk verdict."""
    score = signal.score
    components = [] if score is None else [c.model_dump(mode="json") for c in score.components]
    return {
        "signal_id": sid,
        "run_id": run_id,
        "task_key": key,
        "symbol": signal.symbol,
        "timeframe": signal.timeframe.value,
        "as_of": format_time(signal.as_of),
        "direction": signal.direction.value,
        "entry": str(signal.entry),
        "stop_loss": str(signal.stop_loss),
        "take_profit": None if signal.take_profit is None else str(signal.take_profit),
        "confidence": signal.confidence,
        "score": None if score is None else score.score,
        "probability": None if score is None else score.probability,
        "components": json.dumps(components),
        "explanation": signal.explanation,
        "verdict": status,
        "quantity": str(decision.quantity),
        "reason": reason,
        "client_order_id": cid,
        "created_at": format_time(now),
    }


__all__ = ["analyze", "analyze_key", "pending_trade", "signal_id", "signal_row"]
