"""Results of the scan stage: indicator snapshots, pattern hits, regimes."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Self

from pydantic import Field, field_validator, model_validator

from quorum.domain.base import Confidence, DomainModel, Price, UtcDatetime
from quorum.domain.market import Symbol
from quorum.domain.timeframe import Timeframe


class IndicatorSnapshot(DomainModel):
    """Indicator values of one (symbol, timeframe) at the close of the last closed bar."""

    symbol: Symbol
    timeframe: Timeframe
    as_of: UtcDatetime
    bar_open: UtcDatetime
    values: dict[str, float]

    @field_validator("values")
    @classmethod
    def _finite(cls, values: dict[str, float]) -> dict[str, float]:
        for name, value in values.items():
            if not math.isfinite(value):
                raise ValueError(f"values[{name!r}] must be finite (got {value})")
        return values

    @model_validator(mode="after")
    def _bar_closed(self) -> Self:
        if not self.timeframe.is_closed(self.bar_open, self.as_of):
            raise ValueError(
                f"bar_open: bar {self.bar_open.isoformat()} is not closed at "
                f"as_of {self.as_of.isoformat()}"
            )
        return self


class PatternFamily(StrEnum):
    SUPPORT_RESISTANCE = "support_resistance"
    BREAKOUT = "breakout"
    CANDLESTICK = "candlestick"
    DIVERGENCE = "divergence"


class Bias(StrEnum):
    BULLISH = "bullish"
    BEARISH = "bearish"
    NEUTRAL = "neutral"

    @property
    def sign(self) -> int:
        return {Bias.BULLISH: 1, Bias.BEARISH: -1, Bias.NEUTRAL: 0}[self]


class PatternHit(DomainModel):
    """A detected chart pattern and the bars (open times) that form it."""

    symbol: Symbol
    timeframe: Timeframe
    family: PatternFamily
    name: str = Field(min_length=1, max_length=64)
    bias: Bias
    confidence: Confidence
    bars: tuple[UtcDatetime, ...] = Field(min_length=1)
    level: Price | None = None
    details: dict[str, float] = Field(default_factory=dict)

    @field_validator("bars")
    @classmethod
    def _ordered(cls, bars: tuple[object, ...]) -> tuple[object, ...]:
        if list(bars) != sorted(bars):  # type: ignore[type-var]
            raise ValueError("bars must be in time order")
        return bars

    @field_validator("details")
    @classmethod
    def _finite_details(cls, details: dict[str, float]) -> dict[str, float]:
        for name, value in details.items():
            if not math.isfinite(value):
                raise ValueError(f"details[{name!r}] must be finite (got {value})")
        return details

    @property
    def last_bar(self) -> object:
        return self.bars[-1]


class RegimeKind(StrEnum):
    BULL = "bull"
    BEAR = "bear"
    SIDEWAYS = "sideways"


class Regime(DomainModel):
    """Market regime of one (symbol, timeframe) with its strength and volatility state."""

    symbol: Symbol
    timeframe: Timeframe
    as_of: UtcDatetime
    kind: RegimeKind
    strength: Confidence
    volatility_percentile: Confidence
    trend_score: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)


class TimeframeScan(DomainModel):
    """Everything the scan stage found for one (symbol, timeframe) at ``as_of``."""

    symbol: Symbol
    timeframe: Timeframe
    as_of: UtcDatetime
    bars: int = Field(ge=0)
    snapshot: IndicatorSnapshot
    patterns: tuple[PatternHit, ...] = ()
    regime: Regime

    @model_validator(mode="after")
    def _parts_match(self) -> Self:
        parts: list[tuple[str, str, Timeframe]] = [
            ("snapshot", self.snapshot.symbol, self.snapshot.timeframe),
            ("regime", self.regime.symbol, self.regime.timeframe),
        ]
        parts += [(f"patterns[{i}]", p.symbol, p.timeframe) for i, p in enumerate(self.patterns)]
        for name, symbol, timeframe in parts:
            if symbol != self.symbol or timeframe is not self.timeframe:
                raise ValueError(
                    f"{name}: must be for {self.symbol} {self.timeframe} (got {symbol} {timeframe})"
                )
        return self


class ScanResult(DomainModel):
    """A multi-timeframe scan of one symbol; all timeframes come from one aligned data set."""

    symbol: Symbol
    as_of: UtcDatetime
    timeframes: tuple[TimeframeScan, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for item in self.timeframes:
            if item.symbol != self.symbol or item.as_of != self.as_of:
                raise ValueError(
                    f"timeframes: every entry must be for {self.symbol} at "
                    f"{self.as_of.isoformat()} (got {item.symbol} {item.timeframe} "
                    f"at {item.as_of.isoformat()})"
                )
        return self

    def get(self, timeframe: Timeframe) -> TimeframeScan | None:
        return next((t for t in self.timeframes if t.timeframe is timeframe), None)
