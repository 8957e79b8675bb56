"""The ``analyze`` task body: scan → LangGraph agents → score → risk → Signal → intent.

The graph's risk gate is ``quorum.risk.evaluate`` against a Portfolio built from the
execution positions and the persisted rules state. The graph's own journal entries
(opinions, score, decision) are written node by node and checkpointed under the task key,
so a redelivered, interrupted analysis resumes without asking any model again (the resume
is journaled, naming the earlier attempt: :mod:`quorum.pipeline.resume`). The
outcome is committed in ONE transaction that also claims the task key: the signal row,
the stored intent (``ExecutionService.store_intent``, journaled before anything is sent),
the trade row and the rules-state write (compare-and-set on its version); then the
thread's checkpoints are deleted (a redelivery is answered from the claimed key). The commit
re-reads the account (positions, working entries, equity, trade statistics) and the rules
state; when either moved since the snapshot the graph decided on, the decision is taken
again on the current ones before anything is stored. Only after the commit is ``execute``
submitted (key = client id).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from quorum.agents import AnalysisOutcome, AnalysisServices, PortfolioRiskGate
from quorum.agents import analyze as run_graph
from quorum.analysis.scan import ScanParams
from quorum.domain import Signal, Timeframe, format_time, parse_time
from quorum.llm.ledger import analysis_spend
from quorum.llm.metrics import llm_metrics
from quorum.pipeline.accounting import (
    RulesConflict,
    account_now,
    market_info,
    reference_price,
    rules_state,
)
from quorum.pipeline.decisions import commit_decision, signal_id
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.pipeline.journaling import StageJournal
from quorum.pipeline.learned import learned_scoring
from quorum.pipeline.leverage import market_leverage
from quorum.pipeline.opinions import learned_accuracy, store_opinions
from quorum.pipeline.persistence import trades
from quorum.pipeline.resume import journal_resume
from quorum.pipeline.runs import TaskRuns
from quorum.pipeline.scan import ScanStage
from quorum.risk import MarketInfo, PreparedPortfolio, prepare_portfolio
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
    price = reference_price(deps, scan)  # may feed the paper venue: outside the read
    with deps.engine.connect() as conn:
        state, version = rules_state(deps, conn)
        snapshot = account_now(deps, conn, at, {symbol: price})
        market = market_info(deps, scan, tf, {e.symbol for e in snapshot.exposures}, price)
        calibrator, weights = learned_scoring(conn)
        accuracy = {k: v.accuracy for k, v in learned_accuracy(conn).items()}
    # Prepared once for this snapshot: the graph's gate and the commit re-check share it.
    account = prepare_portfolio(snapshot, deps.risk, (market,), state)
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
        model_accuracy=accuracy,
        settings=deps.agents.model_copy(
            update={"decision_timeframe": tf, "leverage": market_leverage(deps, symbol)}
        ),
        stop_settings=deps.risk,
        analysis_id=key,
        signal_id=signal_id(key),
    )
    graph = deps.graph
    journal_resume(deps, graph, key, symbol, tf, at)
    with span("quorum.agents"):
        outcome = run_graph(graph, scan, at, thread_id=key, services=services)
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
    # The outcome is committed under the claimed key: a redelivery is answered from it, so
    # the thread's checkpoints are never read again (a racing delivery deletes it too).
    deps.checkpointer.delete_thread(key)
    _account(deps, key, str(result.get("status")))
    _send(deps, result)
    return result


def _account(deps: PipelineDeps, key: str, verdict: str) -> None:
    """Every LLM call of this analysis in the ledger before the task completes, and its
    spend observed by verdict (spend per approved signal)."""
    flush = getattr(deps.router, "flush", None)
    if not callable(flush):  # the LLMRouter port itself has no ledger
        return
    flush()
    spend = analysis_spend(deps.engine, key)
    llm_metrics().analysis_spend.labels(verdict).observe(float(spend))


def _candidate(graph: Any, key: str) -> Signal | None:
    """The signal the graph proposed to the risk gate (kept when the gate rejected it)."""
    values = graph.get_state({"configurable": {"thread_id": key}}).values
    candidate = values.get("candidate") if isinstance(values, dict) else None
    return candidate if isinstance(candidate, Signal) else None


def _commit(
    deps: PipelineDeps,
    session: Session,
    key: str,
    outcome: AnalysisOutcome,
    signal: Signal | None,
    account: PreparedPortfolio,
    market: MarketInfo,
    seen_version: int,
) -> JSON:
    if signal is None or outcome.decision is None:
        score = outcome.score or outcome.prefilter
        store_opinions(session, deps.run_id, signal_id(key), outcome.opinions, deps.agents.roles)
        return {
            "symbol": outcome.symbol,
            "as_of": format_time(outcome.as_of),
            "key": key,
            "status": "no_trade",
            "reason": outcome.no_trade_reason or "no signal",
            "score": None if score is None else score.score,
        }
    result = commit_decision(
        deps, session, key, signal, outcome.decision, account, market, seen_version
    )
    sid = result.get("signal_id")
    if sid:
        store_opinions(session, deps.run_id, str(sid), outcome.opinions, deps.agents.roles)
    return result


__all__ = ["analyze", "analyze_key"]
