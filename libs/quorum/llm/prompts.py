"""Versioned prompt templates per agent role, adapted to the market regime and timeframe.

A prompt embeds the structured market context as one fenced JSON block (```` ```json ````)
rendered canonically (sorted keys, fixed separators), so the same bar always yields the
same prompt — a backtest re-run is served from the cache. The offline analyst reads the
same block back with :func:`extract_market_context`. A template's ``version`` is part of
the cache key and of every ledger row; bump it whenever the wording changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quorum.domain import ScanResult, Timeframe
from quorum.errors import ValidationFailed
from quorum.llm.schema import schema_instruction

FENCE_OPEN = "```json\n"
FENCE_CLOSE = "\n```"


class _Context(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PatternContext(_Context):
    name: str
    family: str
    bias: Literal["bullish", "bearish", "neutral"]
    confidence: float = Field(ge=0.0, le=1.0)


class RegimeContext(_Context):
    kind: Literal["bull", "bear", "sideways"]
    strength: float = Field(ge=0.0, le=1.0)
    trend_score: float = Field(ge=-1.0, le=1.0)
    volatility_percentile: float = Field(ge=0.0, le=1.0)


class TimeframeContext(_Context):
    timeframe: str
    indicators: dict[str, float] = Field(default_factory=dict)
    patterns: tuple[PatternContext, ...] = ()
    regime: RegimeContext


class MarketContext(_Context):
    """What the scan found for one symbol: indicators, patterns, regime per timeframe."""

    symbol: str = Field(min_length=3, max_length=40)
    as_of: str = Field(min_length=10, max_length=40, description="ISO-8601 UTC")
    primary_timeframe: str
    timeframes: tuple[TimeframeContext, ...] = Field(min_length=1)

    def primary(self) -> TimeframeContext:
        for item in self.timeframes:
            if item.timeframe == self.primary_timeframe:
                return item
        return self.timeframes[0]


def market_context_from_scan(scan: ScanResult, primary: Timeframe | None = None) -> MarketContext:
    """The prompt context of a scan; ``primary`` defaults to the shortest timeframe."""
    if not scan.timeframes:
        raise ValidationFailed("scan.timeframes", "need at least one timeframe to prompt on")
    frames = sorted(scan.timeframes, key=lambda t: t.timeframe.seconds)
    chosen = primary if primary is not None else frames[0].timeframe
    return MarketContext(
        symbol=scan.symbol,
        as_of=scan.as_of.isoformat(),
        primary_timeframe=str(chosen),
        timeframes=tuple(
            TimeframeContext(
                timeframe=str(item.timeframe),
                indicators={k: round(v, 6) for k, v in sorted(item.snapshot.values.items())},
                patterns=tuple(
                    PatternContext(
                        name=p.name,
                        family=str(p.family),
                        bias=p.bias.value,
                        confidence=round(p.confidence, 4),
                    )
                    for p in item.patterns
                ),
                regime=RegimeContext(
                    kind=item.regime.kind.value,
                    strength=round(item.regime.strength, 4),
                    trend_score=round(item.regime.trend_score, 4),
                    volatility_percentile=round(item.regime.volatility_percentile, 4),
                ),
            )
            for item in frames
        ),
    )


def render_context(context: MarketContext) -> str:
    """The canonical fenced JSON block of ``context``."""
    body = json.dumps(context.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return f"{FENCE_OPEN}{body}{FENCE_CLOSE}"


def extract_market_context(text: str) -> MarketContext | None:
    """The first fenced JSON block of ``text`` that is a :class:`MarketContext`."""
    start = 0
    while (opening := text.find(FENCE_OPEN, start)) != -1:
        body_start = opening + len(FENCE_OPEN)
        closing = text.find(FENCE_CLOSE, body_start)
        if closing == -1:
            return None
        try:
            return MarketContext.model_validate(json.loads(text[body_start:closing]))
        except (ValueError, ValidationError):
            start = closing + len(FENCE_CLOSE)
    return None


_REGIME_GUIDANCE = {
    "bull": "The primary regime is a bull trend: weigh continuation evidence, and treat "
    "bearish signals as pullbacks unless several timeframes agree.",
    "bear": "The primary regime is a bear trend: weigh continuation evidence, and treat "
    "bullish signals as relief rallies unless several timeframes agree.",
    "sideways": "The primary regime is a range: favour mean reversion at the range edges, "
    "distrust breakouts without volume, and prefer neutral when evidence is mixed.",
}


def _timeframe_guidance(timeframe: str) -> str:
    try:
        seconds = Timeframe.parse(timeframe).seconds
    except ValidationFailed:
        return "Judge the stated timeframe."
    if seconds <= 15 * 60:
        return (
            f"The decision timeframe is {timeframe} (intraday): noise is high, "
            "keep confidence modest."
        )
    if seconds <= 4 * 3600:
        return f"The decision timeframe is {timeframe} (swing): confirm with the higher timeframes."
    return (
        f"The decision timeframe is {timeframe} (position): the higher-timeframe trend dominates."
    )


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One agent role's prompt; ``version`` goes into cache keys and ledger rows."""

    name: str
    version: str
    title: str
    focus: str
    task: str


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    messages: tuple[tuple[Literal["system", "user"], str], ...]
    version: str


PROMPTS: Mapping[str, PromptTemplate] = {
    t.name: t
    for t in (
        PromptTemplate(
            name="technical",
            version="technical/1",
            title="technical analyst",
            focus="Read the indicators (trend, momentum, volatility, volume) across timeframes",
            task="Give your stance on the primary timeframe from the indicators.",
        ),
        PromptTemplate(
            name="patterns",
            version="patterns/1",
            title="chart-pattern analyst",
            focus="Read the detected chart patterns, their bias and confidence",
            task="Give your stance on the primary timeframe from the patterns.",
        ),
        PromptTemplate(
            name="regime",
            version="regime/1",
            title="market-regime analyst",
            focus="Read the regime of each timeframe: kind, strength, trend score, volatility",
            task="Say whether the regimes support a directional trade on the primary timeframe.",
        ),
    )
}


def render_prompt(
    template: str, context: Mapping[str, Any] | MarketContext, schema: type[BaseModel]
) -> RenderedPrompt:
    """The messages of ``template`` for ``context``, ending with the schema instruction."""
    spec = PROMPTS.get(template)
    if spec is None:
        raise ValidationFailed("template", f"must be one of {', '.join(sorted(PROMPTS))}", template)
    ctx = context if isinstance(context, MarketContext) else MarketContext.model_validate(context)
    primary = ctx.primary()
    system = (
        f"You are the {spec.title} of a trading desk. {spec.focus}. "
        f"{_REGIME_GUIDANCE[primary.regime.kind]} {_timeframe_guidance(primary.timeframe)} "
        "Confidence is your probability that the stance is right; cite concrete evidence."
    )
    user = (
        f"Market context for {ctx.symbol} at {ctx.as_of}:\n{render_context(ctx)}\n"
        f"{spec.task}\n{schema_instruction(schema)}"
    )
    return RenderedPrompt(messages=(("system", system), ("user", user)), version=spec.version)
