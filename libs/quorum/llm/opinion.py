"""From an analyst call's :class:`LLMResult` to the domain's :class:`AgentOpinion`."""

from __future__ import annotations

from datetime import datetime

from quorum.domain import AgentOpinion, Bias
from quorum.llm.schema import AnalystAnswer
from quorum.ports import LLMResult


def opinion_from_result(
    result: LLMResult[AnalystAnswer], agent: str, symbol: str, as_of: datetime
) -> AgentOpinion:
    """The opinion, or the typed "no opinion" (``stance=None``) with the reason."""
    answer = result.output
    if answer is None:
        reason = result.no_opinion_reason.value if result.no_opinion_reason else "no output"
        return AgentOpinion(
            agent=agent,
            symbol=symbol,
            as_of=as_of,
            stance=None,
            confidence=0.0,
            model=result.model,
            prompt_version=result.prompt_version,
            no_opinion_reason=f"{reason}: {result.why}"[:500] if result.why else reason,
        )
    return AgentOpinion(
        agent=agent,
        symbol=symbol,
        as_of=as_of,
        stance=Bias(answer.stance),
        confidence=answer.confidence,
        key_evidence=answer.key_evidence,
        rationale=answer.rationale,
        model=result.model,
        prompt_version=result.prompt_version,
    )
