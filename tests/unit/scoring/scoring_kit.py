"""Builders for scoring tests: scans, timeframes and opinions with sensible defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from quorum.domain import (
    AgentOpinion,
    Bias,
    IndicatorSnapshot,
    PatternFamily,
    PatternHit,
    Regime,
    RegimeKind,
    ScanResult,
    Timeframe,
    TimeframeScan,
)

SYMBOL = "BTC/USDT"
AS_OF = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def hit(
    timeframe: Timeframe,
    bias: Bias = Bias.BULLISH,
    confidence: float = 1.0,
    family: PatternFamily = PatternFamily.CANDLESTICK,
    name: str = "hammer",
) -> PatternHit:
    return PatternHit(
        symbol=SYMBOL,
        timeframe=timeframe,
        family=family,
        name=name,
        bias=bias,
        confidence=confidence,
        bars=(timeframe.last_closed_open(AS_OF),),
    )


def frame(
    timeframe: Timeframe = Timeframe.H1,
    values: dict[str, float] | None = None,
    patterns: tuple[PatternHit, ...] = (),
    trend: float = 0.0,
    volatility: float = 0.5,
    kind: RegimeKind = RegimeKind.SIDEWAYS,
) -> TimeframeScan:
    return TimeframeScan(
        symbol=SYMBOL,
        timeframe=timeframe,
        as_of=AS_OF,
        bars=500,
        snapshot=IndicatorSnapshot(
            symbol=SYMBOL,
            timeframe=timeframe,
            as_of=AS_OF,
            bar_open=timeframe.last_closed_open(AS_OF),
            values=values or {},
        ),
        patterns=patterns,
        regime=Regime(
            symbol=SYMBOL,
            timeframe=timeframe,
            as_of=AS_OF,
            kind=kind,
            strength=0.5,
            volatility_percentile=volatility,
            trend_score=trend,
        ),
    )


def scan(*frames: TimeframeScan) -> ScanResult:
    return ScanResult(symbol=SYMBOL, as_of=AS_OF, timeframes=frames)


def opinion(
    agent: str = "technical",
    stance: Bias | None = Bias.BULLISH,
    confidence: float = 1.0,
    model: str = "m",
) -> AgentOpinion:
    return AgentOpinion(
        agent=agent,
        symbol=SYMBOL,
        as_of=AS_OF,
        stance=stance,
        confidence=confidence if stance is not None else 0.0,
        model=model,
        no_opinion_reason=None if stance is not None else "schema repair failed",
    )
