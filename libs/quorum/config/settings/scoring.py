"""Scoring settings, frozen and strict: the static weights of the confluence score.

The defaults below are the documented starting point. Defined with the configuration and
re-exported by :mod:`quorum.scoring.settings`.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from quorum.domain.base import DomainModel
from quorum.domain.timeframe import Timeframe

NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
"""A finite weight >= 0."""

Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A finite share in [0, 1]."""

Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]

INDICATOR_SIGNALS: tuple[str, ...] = (
    "ema",
    "macd",
    "dmi",
    "rsi",
    "stoch",
    "mfi",
    "cci",
    "bollinger",
)
"""The indicator signals :mod:`quorum.scoring.indicators` reads from a snapshot."""


class AccuracyPrior(DomainModel):
    """How much evidence it takes to move a model's learned accuracy: the last ``window``
    scored opinions, none learned below ``min_samples``, shrunk toward ``prior`` with
    ``strength`` pseudo-opinions, kept within [floor, cap] (:mod:`quorum.scoring.accuracy`)."""

    window: int = Field(default=100, ge=1, le=100_000)
    min_samples: int = Field(default=20, ge=1, le=100_000)
    prior: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    strength: float = Field(default=20.0, ge=0.0, allow_inf_nan=False)
    floor: float = Field(default=0.05, ge=0.0, le=1.0, allow_inf_nan=False)
    cap: float = Field(default=0.95, ge=0.0, le=1.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.floor <= self.prior <= self.cap:
            raise ValueError(
                f"prior: must be within [floor, cap] = [{self.floor}, {self.cap}] "
                f"(got {self.prior})"
            )
        if self.min_samples > self.window:
            raise ValueError(
                f"min_samples: must not exceed window {self.window} (got {self.min_samples})"
            )
        return self


def _default_timeframe_weights() -> dict[Timeframe, float]:
    return {
        Timeframe.M1: 0.5,
        Timeframe.M5: 0.7,
        Timeframe.M15: 0.85,
        Timeframe.H1: 1.0,
        Timeframe.H4: 1.25,
        Timeframe.D1: 1.5,
    }


def _default_indicator_weights() -> dict[str, float]:
    return dict.fromkeys(INDICATOR_SIGNALS, 1.0)


class ScoringSettings(DomainModel):
    """Static weights of the confluence score (see :func:`quorum.scoring.score_confluence`).

    * ``indicator_weight`` / ``pattern_weight`` / ``regime_weight``: weight of each evidence
      kind per timeframe, multiplied by that timeframe's (volatility-tilted) weight. The
      indicator weight is shared by the indicators present on the timeframe in proportion to
      ``indicator_weights``, so adding indicators does not swamp patterns and regime.
    * ``llm_weight``: weight of an opinion with confidence 1 from a model with accuracy 1
      (used when ``llm_share`` is None).
    * ``llm_share``: the LLM opinions' share of the score's total weight when every scored
      opinion has confidence 1 and accuracy 1 (see :func:`quorum.scoring.score_confluence`);
      lower confidence or learned accuracy lowers it proportionally. Independent of how many
      indicators, patterns and timeframes the scan has; None falls back to ``llm_weight``.
    * ``accuracy``: how model accuracy is learned from closed trades (:class:`AccuracyPrior`).
    * ``timeframe_weights``: base weight per timeframe (higher timeframes weigh more).
    * ``volatility_tilt``: how much the mean volatility percentile of the scan shifts weight
      between timeframes: factor ``1 + tilt × (2·vol − 1) × rank`` with rank in [-1, 1] from the
      lowest to the highest timeframe of the scan, so high volatility favours higher timeframes
      and low volatility lower ones; 0 turns the tilt off.
    * ``regime_against_penalty``: a raw score pointing against the regime is multiplied by
      ``1 − penalty × |regime bias|`` — counter-regime signals need more evidence.
    * ``default_model_accuracy``: accuracy assumed for a model absent from the accuracy map.
    * ``ema_scale_atr`` / ``macd_scale_atr`` / ``dmi_full_adx``: indicator normalisation.
    """

    indicator_weight: NonNegative = 1.0
    pattern_weight: NonNegative = 1.0
    regime_weight: NonNegative = 0.75
    llm_weight: NonNegative = 1.5
    llm_share: float | None = Field(default=0.35, ge=0.0, le=0.9, allow_inf_nan=False)
    accuracy: AccuracyPrior = Field(default_factory=AccuracyPrior)
    indicator_weights: dict[str, NonNegative] = Field(default_factory=_default_indicator_weights)
    timeframe_weights: dict[Timeframe, NonNegative] = Field(
        default_factory=_default_timeframe_weights
    )
    volatility_tilt: Unit = 0.5
    regime_against_penalty: Unit = 0.5
    default_model_accuracy: Unit = 0.5
    ema_scale_atr: Positive = 1.0
    macd_scale_atr: Positive = 0.25
    dmi_full_adx: Positive = 25.0

    def timeframe_weight(self, timeframe: Timeframe) -> float:
        """Base weight of ``timeframe`` (0 when the settings leave it out)."""
        return self.timeframe_weights.get(timeframe, 0.0)
