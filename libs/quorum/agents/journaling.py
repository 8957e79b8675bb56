"""The analysis graph's audit-journal payloads (canonical-JSON safe).

Each is written by the node that produced the value, before the node returns, so every
opinion, score and decision is in the journal before anything can act on it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from quorum.domain import AgentOpinion, ConfluenceScore, RiskDecision, Signal
from quorum.ports import LLMResult

ACTOR = "quorum.agents"


def llm_call(result: LLMResult[Any]) -> dict[str, Any]:
    """Which model answered, why, and what it cost."""
    return {
        "model": result.model,
        "provider": result.provider,
        "policy": result.policy,
        "why": result.why,
        "outcome": result.outcome,
        "fallbacks": list(result.fallbacks),
        "latency_ms": round(result.latency_ms, 3),
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "cost_usd": result.cost_usd,
        "cache_hit": result.cache_hit,
        "prompt_version": result.prompt_version,
    }


def _dump(value: BaseModel) -> dict[str, Any]:
    return value.model_dump(mode="json")


def opinion_payload(
    opinion: AgentOpinion, result: LLMResult[Any], node: str, debate_round: int | None = None
) -> dict[str, Any]:
    return {
        "node": node,
        "round": debate_round,
        "opinion": _dump(opinion),
        "llm": llm_call(result),
    }


def score_payload(score: ConfluenceScore, stage: str, threshold: float) -> dict[str, Any]:
    """``stage`` is "prefilter" (no opinions) or "final"; ``threshold`` what it must reach."""
    return {"stage": stage, "threshold": threshold, "score": _dump(score)}


def risk_payload(signal: Signal, decision: RiskDecision) -> dict[str, Any]:
    return {"signal": _dump(signal), "decision": _dump(decision)}


def decision_payload(
    symbol: str,
    as_of: datetime,
    signal: Signal | None,
    reason: str | None,
    decision: RiskDecision | None,
) -> dict[str, Any]:
    """The graph's final word: ``outcome`` "signal" with the signal, or "no_trade" and why."""
    return {
        "outcome": "signal" if signal is not None else "no_trade",
        "symbol": symbol,
        "as_of": as_of,
        "signal": _dump(signal) if signal is not None else None,
        "reason": reason,
        "quantity": decision.quantity if decision is not None and signal is not None else None,
    }
