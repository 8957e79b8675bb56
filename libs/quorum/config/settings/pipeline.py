"""Settings of the pipeline (frozen, strict: unknown keys are refused).

Timeframes are their text values here, so loading configuration (``quorum.config``) does
not import the domain package (and pandas); :attr:`PipelineSettings.frames` converts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from quorum.domain import Timeframe

TimeframeText = Literal["1m", "5m", "15m", "1h", "4h", "1d"]
_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


class PipelineSettings(BaseModel):
    """What the pipeline watches, when it scans, and what an approved signal trades."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbols: tuple[str, ...] = ("BTC/USDT", "ETH/USDT", "SOL/USDT")
    timeframes: tuple[TimeframeText, ...] = ("15m", "1h", "4h", "1d")
    base: TimeframeText = "15m"
    """Base timeframe: bars are loaded at this resolution and the others resampled."""
    data: str = "synthetic"
    """Market data source (``quorum.market.open_source`` spec)."""
    history_bars: int = Field(default=500, ge=400, le=5000)
    finalization_delay_s: float = Field(default=5.0, ge=0, le=3600)
    """A bar is scanned only this long after it closed (late trades and corrections settle)."""
    min_check_interval_s: float = Field(default=900.0, gt=0)
    max_check_interval_s: float = Field(default=14400.0, gt=0)
    reference_volatility: float = Field(default=0.008, gt=0)
    """Base-bar ATR / close at which a symbol is checked every ``min_check_interval_s``;
    calmer symbols are checked less often, up to ``max_check_interval_s``."""
    candidate_min_regime_strength: float = Field(default=0.6, ge=0, le=1)
    """A scan is a candidate when it has a pattern event (breakout, candlestick, divergence)
    or a trending regime at least this strong (the graph's prefilter is the real threshold)."""
    max_analyses_per_cycle: int | None = Field(default=None, ge=1)
    """At most this many candidates of one cycle (the scans of one base-bar close) are
    analysed, the best ranked first (``quorum.pipeline.budget``); the rest are journaled as
    capped. None: no cap (every candidate is analysed, as before the budget existed)."""
    max_analyses_per_symbol_day: int | None = Field(default=None, ge=1)
    """At most this many analyses per symbol and UTC day. None: no cap."""
    strategy: str = Field(default="confluence", min_length=1, max_length=64)
    actor: str = Field(default="pipeline", min_length=1, max_length=120)
    paper_equity: Decimal = Field(default=Decimal(10000), gt=0)
    """Account equity of the paper venue in the quote currency."""
    paper_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    """Fee rate of the replay venue ``quorum run`` trades on (maker and taker)."""
    paper_slippage: Decimal = Field(default=Decimal("0.0005"), ge=0, lt=1)
    """Slippage of the replay venue's market and stop fills (a backtest's defaults too)."""
    amount_step: Decimal = Field(default=Decimal("0.00001"), gt=0)
    min_notional: Decimal = Field(default=Decimal(5), ge=0)
    correlation_window_bars: int = Field(default=96, ge=10, le=5000)
    """Base bars whose close-to-close returns the risk gate's correlations are measured on
    (the traded symbol against every symbol held or with a working entry)."""
    slippage_atr_fraction: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    """Expected slippage of a market fill as this share of the decision timeframe's ATR
    (relative to the close); the paper venue's own slippage is the floor in paper mode."""
    refresh_min_trades: int = Field(default=5, ge=1)
    """Closed trades needed before calibration is fitted on them (prior before)."""
    protective_orders: bool = True
    """After every entry fill a reduce-only stop (and the take-profit, emulated OCO) rests
    at the venue (:mod:`quorum.pipeline.protection`). False: the monitor's soft stop on
    closed bars is the only stop (a venue without stop orders)."""

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("symbols: at least one symbol is required")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.min_check_interval_s > self.max_check_interval_s:
            raise ValueError(
                f"min_check_interval_s: {self.min_check_interval_s} must be <= "
                f"max_check_interval_s {self.max_check_interval_s}"
            )
        if not self.timeframes:
            raise ValueError("timeframes: at least one timeframe is required")
        finer = [tf for tf in self.timeframes if _SECONDS[tf] < _SECONDS[self.base]]
        if finer:
            raise ValueError(f"timeframes: {finer} are finer than the base timeframe {self.base}")
        return self

    @property
    def frames(self) -> tuple[Timeframe, ...]:
        from quorum.domain import Timeframe

        return tuple(Timeframe(tf) for tf in self.timeframes)

    @property
    def base_timeframe(self) -> Timeframe:
        from quorum.domain import Timeframe

        return Timeframe(self.base)
