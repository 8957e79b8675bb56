"""What the analysis graph is handed at run time: the LLM router, the risk gate, the journal.

Nodes reach I/O only through these (the LLM only through the ``LLMRouter`` port), so a test
runs the whole graph with the offline provider, a recording journal and no network. The
graph proposes a typed decision; it never calls a broker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from quorum.agents.settings import AgentSettings
from quorum.domain import JournalKind, RiskDecision, Signal
from quorum.ports import LLMRouter
from quorum.risk import (
    MarketInfo,
    Portfolio,
    PreparedPortfolio,
    RiskSettings,
    RulesState,
    evaluate,
)
from quorum.scoring import Calibrator, EvidenceWeights, ScoringSettings


class JournalRecorder(Protocol):
    """Appends one audit-journal entry (``quorum.pipeline.StageJournal`` has this shape)."""

    def record(self, kind: JournalKind, payload: dict[str, Any]) -> None: ...


class RiskGate(Protocol):
    """The risk engine as the graph calls it: one proposed signal at ``as_of`` → decision."""

    def __call__(self, signal: Signal, as_of: datetime) -> RiskDecision: ...


@dataclass(frozen=True)
class AnalysisServices:
    """Everything the nodes need besides the state; built by the caller (composition root)."""

    router: LLMRouter
    journal: JournalRecorder
    risk_gate: RiskGate
    run_id: str
    calibrator: Calibrator = field(default_factory=Calibrator.prior_only)
    """Score → probability that its direction wins (``Calibrator.prior_only()``: 0.5)."""
    scoring: ScoringSettings = field(default_factory=ScoringSettings)
    weights: EvidenceWeights | None = None
    model_accuracy: Mapping[str, float] = field(default_factory=dict)
    settings: AgentSettings = field(default_factory=AgentSettings)
    stop_settings: RiskSettings | None = None
    """The risk settings whose stop band the proposed stop is clamped into (default band
    when None); give the same settings the risk gate evaluates with."""
    analysis_id: str | None = None
    """This analysis (the task key) and the id its signal is stored under: every LLM call
    carries both into the cost ledger (a trade's spend joins through its signal)."""
    signal_id: str | None = None


@dataclass(frozen=True)
class PortfolioRiskGate:
    """:class:`RiskGate` over ``quorum.risk.evaluate`` with the caller's account snapshot.

    ``portfolio`` is the snapshot prepared once (``quorum.risk.prepare_portfolio``); a plain
    :class:`Portfolio` is accepted too and prepared on every call."""

    portfolio: PreparedPortfolio | Portfolio
    market: MarketInfo
    rules_state: RulesState
    settings: RiskSettings

    def __call__(self, signal: Signal, as_of: datetime) -> RiskDecision:
        return evaluate(signal, self.portfolio, self.market, self.rules_state, as_of, self.settings)
