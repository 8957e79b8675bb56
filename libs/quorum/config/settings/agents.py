"""``AgentSettings``: how the analysis graph runs (debate, prefilter, context, retries, levels).

One frozen, strict model (unknown keys are refused); the composition root builds it.
Defined with the configuration and re-exported by :mod:`quorum.agents.settings`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quorum.config.settings.llm import PolicyName
from quorum.domain.timeframe import Timeframe

ANALYSTS: tuple[str, ...] = ("technical", "patterns", "regime")
"""The analyst nodes, in the order their opinions are reported."""

DEBATERS: tuple[str, ...] = ("bull", "bear")
"""The debate nodes' agents, in the order their opinions are reported."""

Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

_CONTEXT_INDICATORS = (
    "close",
    "atr",
    "rsi",
    "macd_hist",
    "ema_fast",
    "ema_slow",
    "adx",
    "plus_di",
    "minus_di",
    "stoch_k",
    "mfi",
    "cci",
    "bb_lower",
    "bb_upper",
)


def _default_roles() -> dict[str, str]:
    return {
        "technical": "fast",
        "patterns": "fast",
        "regime": "fast",
        "bull": "deep",
        "bear": "deep",
    }


class NodeRetry(BaseModel):
    """LangGraph ``RetryPolicy`` of the LLM nodes (retries ``Retryable``/timeouts/connection)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=3, ge=1, le=10)
    initial_interval_s: float = Field(default=0.5, ge=0.0, le=60.0)
    backoff_factor: float = Field(default=2.0, ge=1.0, le=10.0)
    max_interval_s: float = Field(default=10.0, ge=0.0, le=600.0)
    jitter: bool = True


class AgentSettings(BaseModel):
    """Settings of the analyze stage's graph.

    * ``prefilter_threshold``: the LLM nodes run only when the purely quantitative
      confluence score (no opinions) reaches this magnitude; below it the graph goes
      straight to ``decide`` with a no-trade, spending nothing.
    * ``min_trade_score``: the final score's magnitude needed to propose a trade.
    * ``debate_rounds``: bull/bear rounds over the analysts' views (0 skips the debate).
    * ``roles`` / ``policies``: the LLM model role and (optional) routing policy per node;
      a node without a policy uses the router's ``llm.node_policies`` / ``llm.policy``.
    * ``atr_stop_multiple`` / ``reward_risk``: the stop at ``multiple × ATR`` of the decision
      timeframe (clamped into the risk settings' stop band) and the take-profit at
      ``reward_risk × stop distance``.
    * ``max_context_bytes``: bound on the rendered market context; patterns and then
      indicators are trimmed (least important first) until it fits.
    * ``llm_opinions``: False skips every LLM node (the score is the quantitative evidence
      alone): the baseline of ``quorum backtest --ablate llm``.
    * ``min_opinions``: the number of valid opinions (an answer with a stance, from any
      model) the final score needs before it may propose an entry; fewer is a no-trade.
      None: 2 when a paid model is configured and enabled, else 0 (resolved by the
      composition root, :func:`resolve_min_opinions`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str = Field(default="confluence", min_length=1, max_length=64)
    prefilter_threshold: Unit = 0.1
    min_trade_score: Unit = 0.15
    debate_rounds: int = Field(default=1, ge=0, le=5)
    decision_timeframe: Timeframe | None = None
    leverage: Decimal = Field(default=Decimal(1), ge=1, le=10, allow_inf_nan=False)
    """The leverage the proposed signal trades at; set per analysis from the symbol's
    market type (``risk.portfolio.leverage``), like ``decision_timeframe``."""
    roles: dict[str, str] = Field(default_factory=_default_roles)
    policies: dict[str, PolicyName] = Field(default_factory=dict)
    max_output_tokens: int | None = Field(default=None, gt=0)
    atr_stop_multiple: Decimal = Field(default=Decimal(2), gt=0, allow_inf_nan=False)
    reward_risk: Decimal = Field(default=Decimal(2), gt=0, allow_inf_nan=False)
    context_indicators: tuple[str, ...] = Field(default=_CONTEXT_INDICATORS, min_length=1)
    max_patterns_per_timeframe: int = Field(default=4, ge=0, le=20)
    max_context_bytes: int = Field(default=6000, ge=500, le=200_000)
    retry: NodeRetry = Field(default_factory=NodeRetry)
    llm_opinions: bool = True
    min_opinions: int | None = Field(default=None, ge=0, le=len(ANALYSTS) + len(DEBATERS))

    @model_validator(mode="after")
    def _roles_cover_nodes(self) -> Self:
        missing = [n for n in (*ANALYSTS, *DEBATERS) if n not in self.roles]
        if missing:
            raise ValueError(f"roles: missing the LLM role of node(s) {', '.join(missing)}")
        unknown = sorted(set(self.policies) - {*ANALYSTS, *DEBATERS})
        if unknown:
            raise ValueError(f"policies: unknown node(s) {', '.join(unknown)}")
        return self


PAID_MIN_OPINIONS = 2
"""``min_opinions`` when left unset and a paid model is configured."""


def resolve_min_opinions(settings: AgentSettings, paid_models: bool) -> AgentSettings:
    """``settings`` with ``min_opinions`` set: as given, else 2 with paid models, else 0."""
    if settings.min_opinions is not None:
        return settings
    return settings.model_copy(update={"min_opinions": PAID_MIN_OPINIONS if paid_models else 0})
