"""The debate's prompts: a bull and a bear argue over the analysts' views.

The market context goes in as the same fenced JSON block the analyst templates use (so
every model, and the offline analyst, reads the same evidence); the analysts' views and
the previous round's arguments follow as plain text. The answer is an ``AnalystAnswer``.
"""

from __future__ import annotations

from collections.abc import Sequence

from quorum.domain import AgentOpinion
from quorum.llm.prompts import MarketContext, render_context
from quorum.llm.schema import AnalystAnswer, schema_instruction
from quorum.ports import LLMMessage

DEBATE_PROMPT_VERSION = "debate/1"

_SIDES = {
    "bull": ("bull advocate", "a long position"),
    "bear": ("bear advocate", "a short position"),
}


def _view(opinion: AgentOpinion) -> str:
    if opinion.stance is None:
        return f"- {opinion.agent}: no opinion ({opinion.no_opinion_reason})"
    evidence = "; ".join(opinion.key_evidence[:4]) or "no evidence given"
    return (
        f"- {opinion.agent}: {opinion.stance.value} (confidence {opinion.confidence:.2f}); "
        f"evidence: {evidence}"
    )


def debate_messages(
    side: str,
    context: MarketContext,
    analysts: Sequence[AgentOpinion],
    previous: Sequence[AgentOpinion],
    round_number: int,
) -> tuple[LLMMessage, ...]:
    """The messages of ``side`` ("bull" or "bear") in debate round ``round_number``."""
    title, position = _SIDES[side]
    system = (
        f"You are the {title} of a trading desk's investment committee "
        f"({DEBATE_PROMPT_VERSION}). Make the strongest honest case for {position} in "
        f"{context.symbol} from the market evidence and the analysts' views. If the evidence "
        "does not support it, answer neutral with a low confidence. Confidence is your "
        "probability that the stance is right; cite concrete evidence."
    )
    views = "\n".join(_view(o) for o in analysts) or "- none"
    parts = [
        f"Round {round_number}. Market context for {context.symbol} at {context.as_of}:",
        render_context(context),
        "The analysts' views:",
        views,
    ]
    if previous:
        parts += ["The previous round's arguments:", "\n".join(_view(o) for o in previous)]
    parts.append(schema_instruction(AnalystAnswer))
    return (LLMMessage("system", system), LLMMessage("user", "\n".join(parts)))
