"""The analysis graph's typed state and the outcome it produces.

The state is a pydantic model: LangGraph validates it into this type before each node, so a
checkpoint that comes back as plain data (a strict deserializer) is typed again on resume.
List fields carry ``operator.add`` reducers: parallel analysts append, never overwrite.
Nodes return partial updates (dicts of changed fields), as in LangGraph's templates.
"""

from __future__ import annotations

import operator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from quorum.agents.settings import ANALYSTS, DEBATERS
from quorum.domain import AgentOpinion, ConfluenceScore, RiskDecision, ScanResult, Signal

NodeStatus = Literal["ok", "skipped", "no_trade", "paused"]


class TraceEvent(BaseModel):
    """One step of the analysis, as the trace (and the CLI) shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node: str
    status: NodeStatus = "ok"
    detail: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class DebateTurn(BaseModel):
    """A bull or bear argument of one debate round."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    round: int = Field(ge=1)
    opinion: AgentOpinion


class AnalysisState(BaseModel):
    """Everything one analysis of one symbol at one ``as_of`` knows so far."""

    model_config = ConfigDict(extra="forbid")

    scan: ScanResult
    as_of: AwareDatetime
    context: dict[str, Any] = Field(default_factory=dict)
    """The compact, token-bounded market context (a ``quorum.llm.MarketContext`` dump)."""
    prefilter: ConfluenceScore | None = None
    opinions: Annotated[list[AgentOpinion], operator.add] = Field(default_factory=list)
    """The analysts' opinions (appended by the parallel analyst nodes)."""
    debate: Annotated[list[DebateTurn], operator.add] = Field(default_factory=list)
    score: ConfluenceScore | None = None
    candidate: Signal | None = None
    """The proposed signal handed to the risk gate."""
    risk: RiskDecision | None = None
    signal: Signal | None = None
    no_trade_reason: str | None = None
    decided: bool = False
    trace: Annotated[list[TraceEvent], operator.add] = Field(default_factory=list)


def analyst_opinions(state: AnalysisState) -> list[AgentOpinion]:
    """The analysts' opinions in the fixed order of :data:`ANALYSTS` (join order is not)."""
    rank = {name: i for i, name in enumerate(ANALYSTS)}
    return sorted(state.opinions, key=lambda o: (rank.get(o.agent, len(rank)), o.agent))


def final_debate(state: AnalysisState) -> list[AgentOpinion]:
    """The last debate round's opinions (bull first), empty without a debate."""
    if not state.debate:
        return []
    last = max(turn.round for turn in state.debate)
    rank = {name: i for i, name in enumerate(DEBATERS)}
    turns = [t.opinion for t in state.debate if t.round == last]
    return sorted(turns, key=lambda o: rank.get(o.agent, len(rank)))


def scored_opinions(state: AnalysisState) -> list[AgentOpinion]:
    """What the score weighs: the analysts and the final debate round."""
    return [*analyst_opinions(state), *final_debate(state)]


class AnalysisOutcome(BaseModel):
    """The result of one analysis: a Signal, or a no-trade with its reason."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    as_of: datetime
    signal: Signal | None
    no_trade_reason: str | None
    opinions: tuple[AgentOpinion, ...]
    """The analysts' opinions, then the debate's (every round), in a fixed order."""
    prefilter: ConfluenceScore | None
    score: ConfluenceScore | None
    decision: RiskDecision | None
    trace: tuple[TraceEvent, ...]
    pending: tuple[str, ...] = ()
    """Nodes still to run when the analysis was interrupted (resume with the same thread)."""

    @property
    def status(self) -> Literal["signal", "no_trade", "pending"]:
        if self.pending:
            return "pending"
        return "signal" if self.signal is not None else "no_trade"


def outcome_of(state: AnalysisState, pending: tuple[str, ...] = ()) -> AnalysisOutcome:
    rank = {name: i for i, name in enumerate(DEBATERS)}
    turns = sorted(state.debate, key=lambda t: (t.round, rank.get(t.opinion.agent, len(rank))))
    debate = [t.opinion for t in turns]
    return AnalysisOutcome(
        symbol=state.scan.symbol,
        as_of=state.as_of,
        signal=state.signal,
        no_trade_reason=state.no_trade_reason,
        opinions=(*analyst_opinions(state), *debate),
        prefilter=state.prefilter,
        score=state.score,
        decision=state.risk,
        trace=tuple(state.trace),
        pending=pending,
    )
