"""The graph's nodes: plain functions of (state, services) returning partial state updates.

context → prefilter → [technical | patterns | regime] (parallel) → [bull | bear] (parallel)
→ debate (the round's join; more rounds loop back) → score → risk_gate → decide. The
routing functions at the bottom choose the conditional edges.
"""

from __future__ import annotations

from typing import Any

from quorum.agents.context import build_context, context_bytes
from quorum.agents.journaling import (
    decision_payload,
    opinion_payload,
    risk_payload,
    score_payload,
)
from quorum.agents.levels import propose_signal
from quorum.agents.prompts import debate_messages
from quorum.agents.services import AnalysisServices
from quorum.agents.settings import ANALYSTS, DEBATERS
from quorum.agents.state import (
    AnalysisState,
    DebateTurn,
    TraceEvent,
    analyst_opinions,
    final_debate,
    scored_opinions,
)
from quorum.domain import AgentOpinion, JournalKind, RiskDecision, Signal
from quorum.errors import ValidationFailed
from quorum.llm.opinion import opinion_from_result
from quorum.llm.prompts import MarketContext
from quorum.llm.schema import ANALYST_SCHEMA_VERSION, AnalystAnswer
from quorum.llm.settings import OFFLINE_NAME
from quorum.ports import LLMMessage, LLMRequest, LLMResult
from quorum.risk import RiskSettings
from quorum.scoring import calibrated, explain, score_confluence

Update = dict[str, Any]


def _event(node: str, detail: str, status: str = "ok", **data: Any) -> list[TraceEvent]:
    return [
        TraceEvent.model_validate({"node": node, "status": status, "detail": detail, "data": data})
    ]


def _described(opinion: AgentOpinion, result: LLMResult[AnalystAnswer]) -> str:
    """The opinion, who gave it; for the offline analyst also why no configured model did."""
    stance = opinion.stance.value if opinion.stance is not None else "no opinion"
    said = f"{stance} {opinion.confidence:.2f} ({result.model or 'no model'}, {result.outcome}"
    if result.model == OFFLINE_NAME:
        said += f"; {result.why}"
    return said + ")"


def _call_data(result: LLMResult[AnalystAnswer]) -> dict[str, Any]:
    return {
        "model": result.model,
        "why": result.why,
        "cost_usd": str(result.cost_usd),
        "latency_ms": round(result.latency_ms, 1),
        "cache_hit": result.cache_hit,
    }


# -- context and prefilter -------------------------------------------------------------


def context_node(state: AnalysisState, services: AnalysisServices) -> Update:
    context = build_context(state.scan, services.settings)
    size = context_bytes(context)
    return {
        "context": context.model_dump(mode="json"),
        "trace": _event(
            "context",
            f"{len(context.timeframes)} timeframes, primary {context.primary_timeframe}, "
            f"{size} bytes",
            bytes=size,
        ),
    }


def prefilter_node(state: AnalysisState, services: AnalysisServices) -> Update:
    """The purely quantitative score; too weak → no LLM spend at all."""
    threshold = services.settings.prefilter_threshold
    score = score_confluence(
        state.scan, (), services.model_accuracy, services.scoring, services.weights
    )
    services.journal.record(JournalKind.SCORE, score_payload(score, "prefilter", threshold))
    if abs(score.score) < threshold:
        reason = f"no-trade: prefilter score {score.score:+.3f} below {threshold:.3f}"
        return {
            "prefilter": score,
            "no_trade_reason": reason,
            "trace": _event("prefilter", reason + "; LLM nodes skipped", "skipped"),
        }
    return {
        "prefilter": score,
        "trace": _event("prefilter", f"score {score.score:+.3f} ≥ {threshold:.3f}"),
    }


# -- LLM nodes -------------------------------------------------------------------------


def _ask(
    services: AnalysisServices,
    state: AnalysisState,
    node: str,
    *,
    template: str | None = None,
    messages: tuple[LLMMessage, ...] = (),
) -> tuple[AgentOpinion, LLMResult[AnalystAnswer]]:
    settings = services.settings
    request: LLMRequest[AnalystAnswer] = LLMRequest(
        node=node,
        role=settings.roles[node],
        schema=AnalystAnswer,
        schema_version=ANALYST_SCHEMA_VERSION,
        template=template,
        context=state.context if template is not None else None,
        messages=messages,
        symbol=state.scan.symbol,
        run_id=services.run_id,
        policy=settings.policies.get(node),
        max_output_tokens=settings.max_output_tokens,
        analysis_id=services.analysis_id,
        signal_id=services.signal_id,
    )
    result = services.router.complete(request)
    return opinion_from_result(result, node, state.scan.symbol, state.as_of), result


def analyst_node(state: AnalysisState, services: AnalysisServices, agent: str) -> Update:
    """One analyst (``technical``, ``patterns`` or ``regime``): its prompt, its opinion."""
    if agent not in ANALYSTS:
        raise ValueError(f"agent: must be one of {', '.join(ANALYSTS)} (got {agent!r})")
    opinion, result = _ask(services, state, agent, template=agent)
    services.journal.record(JournalKind.OPINION, opinion_payload(opinion, result, agent))
    return {
        "opinions": [opinion],
        "trace": _event(agent, _described(opinion, result), **_call_data(result)),
    }


def debater_node(state: AnalysisState, services: AnalysisServices, side: str) -> Update:
    """One side (``bull`` or ``bear``) of a debate round, run in parallel with the other:
    it sees the analysts and the previous round, never the other side's current argument."""
    if side not in DEBATERS:
        raise ValueError(f"side: must be one of {', '.join(DEBATERS)} (got {side!r})")
    round_number = 1 + max((t.round for t in state.debate), default=0)
    context = MarketContext.model_validate(state.context)
    messages = debate_messages(
        side, context, analyst_opinions(state), final_debate(state), round_number
    )
    opinion, result = _ask(services, state, side, messages=messages)
    services.journal.record(
        JournalKind.OPINION, opinion_payload(opinion, result, side, round_number)
    )
    return {
        "debate": [DebateTurn(round=round_number, opinion=opinion)],
        "trace": _event(
            side, f"round {round_number}: {_described(opinion, result)}", **_call_data(result)
        ),
    }


def debate_node(state: AnalysisState, services: AnalysisServices) -> Update:
    """The join of one round: both sides have argued (and journaled); what they said."""
    round_number = max((t.round for t in state.debate), default=0)
    said = []
    for opinion in final_debate(state):
        stance = opinion.stance.value if opinion.stance is not None else "no opinion"
        said.append(f"{opinion.agent} {stance} {opinion.confidence:.2f}")
    return {
        "trace": _event("debate", f"round {round_number}: {'; '.join(said)}", round=round_number)
    }


# -- score, risk gate, decision --------------------------------------------------------


def _too_few_opinions(state: AnalysisState, services: AnalysisServices) -> str | None:
    """The no-trade reason when fewer valid opinions than ``min_opinions`` were scored."""
    settings = services.settings
    needed = settings.min_opinions or 0
    valid = sum(o.stance is not None for o in scored_opinions(state))
    if not settings.llm_opinions or valid >= needed:
        return None
    return f"no-trade: {valid} valid opinion(s), agents.min_opinions needs {needed}"


def score_node(state: AnalysisState, services: AnalysisServices) -> Update:
    """The confluence score of the scan and the opinions, with its calibrated probability."""
    threshold = services.settings.min_trade_score
    raw = score_confluence(
        state.scan,
        scored_opinions(state),
        services.model_accuracy,
        services.scoring,
        services.weights,
    )
    score = calibrated(raw, services.calibrator)
    services.journal.record(JournalKind.SCORE, score_payload(score, "final", threshold))
    summary = f"score {score.score:+.3f}, probability {score.probability:.2f}"
    reason = _too_few_opinions(state, services)
    if reason is None and (abs(score.score) < threshold or score.score == 0.0):
        reason = f"no-trade: score {score.score:+.3f} below {threshold:.3f}"
    if reason is not None:
        return {
            "score": score,
            "no_trade_reason": reason,
            "trace": _event("score", f"{summary}; {reason}", "no_trade"),
        }
    return {"score": score, "trace": _event("score", summary)}


def _stops(services: AnalysisServices) -> RiskSettings:
    return services.stop_settings or RiskSettings()


def risk_gate_node(state: AnalysisState, services: AnalysisServices) -> Update:
    """Propose the signal the score points to and ask the risk engine about it."""
    score = state.score
    assert score is not None  # the edge into this node requires a score
    try:
        candidate = propose_signal(
            state.scan,
            score,
            state.as_of,
            services.run_id,
            services.settings,
            _stops(services).stops,
            explain(score, scored_opinions(state)),
        )
    except ValidationFailed as exc:
        reason = f"no-trade: cannot place the trade: {exc}"
        return {"no_trade_reason": reason, "trace": _event("risk_gate", reason, "no_trade")}
    decision = services.risk_gate(candidate, state.as_of)
    services.journal.record(JournalKind.RISK_DECISION, risk_payload(candidate, decision))
    detail = f"{decision.verdict.value}, quantity {decision.quantity}"
    if decision.reason:
        detail += f": {decision.reason}"
    status = "ok" if decision.approved else "no_trade"
    return {"candidate": candidate, "risk": decision, "trace": _event("risk_gate", detail, status)}


def _risk_note(decision: RiskDecision) -> str:
    note = f"{decision.verdict.value}, quantity {decision.quantity}"
    return f"{note} ({decision.reason})" if decision.reason else note


def _final_signal(state: AnalysisState, decision: RiskDecision) -> Signal:
    candidate = state.candidate
    score = state.score
    assert candidate is not None
    assert score is not None
    text = explain(score, scored_opinions(state), risk_note=_risk_note(decision))
    return Signal.model_validate({**candidate.model_dump(), "explanation": text[:4000]})


def decide_node(state: AnalysisState, services: AnalysisServices) -> Update:
    """A Signal when the risk gate approved, else a no-trade with its reason; journaled."""
    signal: Signal | None = None
    reason = state.no_trade_reason
    decision = state.risk
    if reason is None:
        if decision is None:
            reason = "no-trade: the risk gate gave no decision"
        elif not decision.approved:
            reason = f"no-trade: risk gate rejected: {decision.reason}"
        else:
            signal = _final_signal(state, decision)
    services.journal.record(
        JournalKind.SIGNAL,
        decision_payload(state.scan.symbol, state.as_of, signal, reason, decision),
    )
    if signal is not None:
        detail = (
            f"{signal.direction.value} {signal.symbol} entry {signal.entry:.8g} "
            f"stop {signal.stop_loss:.8g} take-profit {signal.take_profit:.8g} "
            f"confidence {signal.confidence:.2f}"
        )
        trace = _event("decide", detail)
    else:
        trace = _event("decide", reason or "no-trade", "no_trade")
    return {"signal": signal, "no_trade_reason": reason, "decided": True, "trace": trace}


# -- routing ---------------------------------------------------------------------------


def after_prefilter(state: AnalysisState, llm_opinions: bool = True) -> list[str] | str:
    """Fan out to the analysts in parallel, or skip every LLM node (straight to the score
    without opinions when ``agents.llm_opinions`` is off)."""
    if state.no_trade_reason is not None:
        return "decide"
    return list(ANALYSTS) if llm_opinions else "score"


def after_debate(state: AnalysisState, rounds: int) -> list[str] | str:
    """Another round (both sides again, in parallel) or the score."""
    done = max((t.round for t in state.debate), default=0)
    return list(DEBATERS) if done < rounds else "score"


def after_score(state: AnalysisState) -> str:
    return "decide" if state.no_trade_reason is not None else "risk_gate"
