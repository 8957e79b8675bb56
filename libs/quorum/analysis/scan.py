"""The pure part of the scan stage: one (symbol, timeframe) frame in, one TimeframeScan out."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quorum.analysis.indicators import IndicatorParams, compute_indicators, indicator_snapshot
from quorum.analysis.patterns import PatternParams, detect_patterns
from quorum.analysis.regime import RegimeParams, detect_regime
from quorum.analysis.volume_profile import volume_profile
from quorum.domain import BarFrame, Timeframe, TimeframeScan


class ScanParams(BaseModel):
    """What one scan computes, and over how many closed bars per timeframe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    history_bars: int = Field(default=500, ge=50, le=100_000)
    indicators: IndicatorParams = IndicatorParams()
    patterns: PatternParams = PatternParams()
    regime: RegimeParams = RegimeParams()

    @model_validator(mode="after")
    def _history_covers_warmup(self) -> Self:
        if self.history_bars < self.indicators.warmup_bars:
            raise ValueError(
                f"history_bars: {self.history_bars} is shorter than the indicators' warm-up "
                f"of {self.indicators.warmup_bars} bars"
            )
        return self


def analyze_timeframe(
    symbol: str, timeframe: Timeframe, frame: BarFrame, as_of: datetime, params: ScanParams
) -> TimeframeScan:
    """Indicators, volume profile, patterns and regime of the closed bars at ``as_of``.

    Only the last ``history_bars`` closed bars are used, so a result depends on
    nothing after ``as_of`` and on a bounded window before it.
    """
    bars = frame.closed_at(as_of).tail(params.history_bars).df
    indicators = compute_indicators(bars, params.indicators)
    profile = volume_profile(
        bars, bins=params.indicators.vp_bins, value_area=params.indicators.vp_value_area
    )
    snapshot = indicator_snapshot(symbol, timeframe, bars, indicators, as_of, profile)
    patterns = detect_patterns(symbol, timeframe, bars, indicators, params.patterns)
    regime = detect_regime(symbol, timeframe, bars, indicators, as_of, params.regime)
    return TimeframeScan(
        symbol=symbol,
        timeframe=timeframe,
        as_of=as_of,
        bars=len(bars),
        snapshot=snapshot,
        patterns=tuple(patterns),
        regime=regime,
    )
