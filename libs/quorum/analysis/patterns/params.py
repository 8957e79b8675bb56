"""Parameters of the pattern detectors: frozen, strict, documented defaults.

Every model rejects unknown keys and out-of-range values with a pydantic
``ValidationError`` whose location is the offending field; rules that relate
two fields are checked after construction and name the first field.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Oscillator = Literal["rsi", "macd", "macd_hist"]


class _Params(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class SwingParams(_Params):
    """Swing pivots: a bar whose high (low) beats ``left`` bars before and ``right`` after.

    A pivot is *confirmed* only once its ``right`` bars have closed, so the most
    recent ``right`` bars of a frame never carry a pivot (no look-ahead).
    """

    left: int = Field(default=5, ge=1, le=50)
    right: int = Field(default=3, ge=1, le=50)


class LevelParams(_Params):
    """Support / resistance from swing pivots clustered by ATR distance."""

    lookback_bars: int = Field(default=250, ge=10, le=10_000)
    """Only pivots inside the last ``lookback_bars`` bars are clustered."""
    cluster_atr: float = Field(default=0.5, gt=0.0, le=5.0)
    """A pivot joins a cluster when within ``cluster_atr`` × ATR(at the pivot) of its mean."""
    min_touches: int = Field(default=2, ge=2, le=20)
    weighting: Literal["volume", "touch"] = "volume"
    """Level price = volume-weighted (or plain) mean of the clustered pivot prices."""
    recency_half_life: int = Field(default=100, ge=1, le=10_000)
    """Bars after the last touch at which the recency score halves."""
    max_per_side: int = Field(default=3, ge=1, le=20)
    """Nearest supports (below the close) and resistances (above) reported."""
    max_distance_atr: float = Field(default=10.0, gt=0.0)
    """Levels further than this many ATR from the last close are not reported."""


class BreakoutParams(_Params):
    """Closes beyond the prior N-bar range or a clustered level, confirmed by volume."""

    recent_bars: int = Field(default=1, ge=1, le=20)
    """Breaks are reported for the last ``recent_bars`` closed bars."""
    range_bars: int = Field(default=20, ge=2, le=1_000)
    """The range is the high / low of the ``range_bars`` bars before the breaking bar."""
    min_break_atr: float = Field(default=0.25, ge=0.0, le=10.0)
    """The close must clear the range edge or level by at least this many ATR."""
    full_break_atr: float = Field(default=1.0, gt=0.0, le=20.0)
    """Break size (ATR) that earns the full size score."""
    volume_bars: int = Field(default=20, ge=1, le=1_000)
    """Average volume is taken over the ``volume_bars`` bars before the breaking bar."""
    min_volume_ratio: float = Field(default=1.5, ge=0.0, le=100.0)
    """Breaks on volume below ``min_volume_ratio`` × average are not reported."""
    full_volume_ratio: float = Field(default=3.0, gt=1.0, le=100.0)
    """Volume ratio that earns the full volume score."""

    @model_validator(mode="after")
    def _full_above_min(self) -> Self:
        if self.full_break_atr <= self.min_break_atr:
            raise ValueError(
                f"full_break_atr: must be > min_break_atr ({self.min_break_atr}), "
                f"got {self.full_break_atr}"
            )
        return self


class CandleParams(_Params):
    """Single and two-bar candlestick shapes on the last closed bar(s)."""

    recent_bars: int = Field(default=1, ge=1, le=20)
    min_range_atr: float = Field(default=0.3, ge=0.0, le=10.0)
    """Bars whose high-low range is below this many ATR are too small to read."""
    doji_body_max: float = Field(default=0.1, gt=0.0, lt=0.5)
    """Doji: body ≤ ``doji_body_max`` × range."""
    pin_wick_min: float = Field(default=0.6, ge=0.5, lt=1.0)
    """Pin bar: the long wick is ≥ ``pin_wick_min`` × range …"""
    pin_wick_body_ratio: float = Field(default=2.0, ge=1.0, le=20.0)
    """… and ≥ ``pin_wick_body_ratio`` × body …"""
    pin_other_wick_max: float = Field(default=0.25, ge=0.0, lt=0.5)
    """… and the opposite wick is ≤ ``pin_other_wick_max`` × range."""
    trend_bars: int = Field(default=10, ge=2, le=500)
    """Trend context: close change over the ``trend_bars`` bars before the candle …"""
    trend_min_atr: float = Field(default=1.0, gt=0.0, le=50.0)
    """… counts as a down/up trend when its size is ≥ ``trend_min_atr`` × ATR."""
    range_bars: int = Field(default=20, ge=2, le=1_000)
    """Range context: the high / low of the ``range_bars`` bars before the candle …"""
    range_edge: float = Field(default=0.25, gt=0.0, le=0.5)
    """… the candle's extreme is 'at the edge' within this fraction of that range."""
    engulf_min_body_atr: float = Field(default=0.3, ge=0.0, le=10.0)
    """Engulfing: the engulfing body must be ≥ this many ATR."""


class DivergenceParams(_Params):
    """Regular and hidden divergences between the last two swings and an oscillator.

    Oscillators: ``rsi`` (differences in RSI points) and ``macd_hist`` / ``macd``
    (differences in ATR at the later swing). The default reads the MACD
    *histogram*, which turns earlier than the MACD line.
    """

    oscillators: tuple[Oscillator, ...] = ("rsi", "macd_hist")
    min_gap: int = Field(default=5, ge=1, le=1_000)
    max_gap: int = Field(default=60, ge=2, le=5_000)
    """The two swings are between ``min_gap`` and ``max_gap`` bars apart."""
    max_age_bars: int = Field(default=10, ge=1, le=1_000)
    """The later swing is at most this many bars before the last bar."""
    min_price_atr: float = Field(default=0.1, ge=0.0, le=20.0)
    """Higher/lower swing prices must differ by at least this many ATR."""
    min_rsi_delta: float = Field(default=2.0, ge=0.0, le=100.0)
    full_rsi_delta: float = Field(default=10.0, gt=0.0, le=100.0)
    min_osc_delta_atr: float = Field(default=0.02, ge=0.0, le=10.0)
    full_osc_delta_atr: float = Field(default=0.3, gt=0.0, le=50.0)
    full_price_atr: float = Field(default=1.5, gt=0.0, le=50.0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.max_gap <= self.min_gap:
            raise ValueError(f"max_gap: must be > min_gap ({self.min_gap}), got {self.max_gap}")
        if len(set(self.oscillators)) != len(self.oscillators):
            raise ValueError(f"oscillators: must not repeat a name, got {self.oscillators}")
        return self


class PatternParams(_Params):
    """All pattern families; each family reads its own section."""

    swings: SwingParams = Field(default_factory=SwingParams)
    levels: LevelParams = Field(default_factory=LevelParams)
    breakouts: BreakoutParams = Field(default_factory=BreakoutParams)
    candles: CandleParams = Field(default_factory=CandleParams)
    divergence: DivergenceParams = Field(default_factory=DivergenceParams)

    @model_validator(mode="after")
    def _divergence_can_see_a_swing(self) -> Self:
        if self.divergence.max_age_bars < self.swings.right:
            raise ValueError(
                "divergence.max_age_bars: must be >= swings.right "
                f"({self.swings.right}) or no confirmed swing is ever recent enough, "
                f"got {self.divergence.max_age_bars}"
            )
        return self
