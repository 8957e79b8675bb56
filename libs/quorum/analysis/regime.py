"""Market regime (bull / bear / sideways) from trend and volatility at the last closed bar.

Rules, at the last bar ``t`` (defaults in :class:`RegimeParams`):

1. Slope: ``(ema_slow[t] − ema_slow[t − slope_bars]) / (slope_bars × atr[t])``,
   the EMA's drift per bar in ATR, squashed by ``tanh(slope / slope_scale_atr)``.
2. Spread: ``(ema_fast[t] − ema_slow[t]) / atr[t]``, squashed by
   ``tanh(spread / spread_scale_atr)``.
3. Raw trend = ``slope_weight`` × slope + (1 − ``slope_weight``) × spread, in (−1, 1).
4. ADX gate: trend_score = raw × min(1, adx / ``adx_full``); the kind is ``bull``
   (``bear``) only when ``adx >= adx_threshold`` and trend_score ``>= min_trend_score``
   (``<= −min_trend_score``); everything else is ``sideways``.
5. Strength: trending → (|trend_score| − min_trend_score) / (1 − min_trend_score);
   sideways → 1 − |trend_score| / min_trend_score (clipped to [0, 1]).
6. Volatility percentile: mid-rank of ``atr / close`` at ``t`` among the finite
   values of the last ``vol_lookback`` bars (0.5 when it is the only one). It is
   reported with the regime and does not change the kind.

While any input at ``t`` (or ``ema_slow[t − slope_bars]``) is still warming up
the regime is ``sideways`` with strength 0 and trend_score 0. No Gaussian-HMM
variant: no maintained HMM library is a dependency of the project.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from quorum.analysis.patterns.inputs import (
    FloatArray,
    bar_time,
    bar_times_ns,
    check_aligned,
    check_bars,
    clip01,
    columns,
)
from quorum.domain.analysis import Regime, RegimeKind
from quorum.domain.timeframe import Timeframe
from quorum.errors import ValidationFailed


class RegimeParams(BaseModel):
    """Regime rules (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    slope_bars: int = Field(default=10, ge=1, le=1_000)
    slope_scale_atr: float = Field(default=0.1, gt=0.0, le=10.0)
    spread_scale_atr: float = Field(default=1.0, gt=0.0, le=50.0)
    slope_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    adx_threshold: float = Field(default=20.0, ge=0.0, le=100.0)
    adx_full: float = Field(default=40.0, gt=0.0, le=100.0)
    min_trend_score: float = Field(default=0.25, gt=0.0, lt=1.0)
    vol_lookback: int = Field(default=100, ge=2, le=100_000)


def detect_regime(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    as_of: datetime,
    params: RegimeParams | None = None,
) -> Regime:
    """The regime of ``bars`` at ``as_of`` (needs ema_fast, ema_slow, atr, adx in ``ind``).

    Every bar must be closed at ``as_of``; a frame that still holds a bar
    closing after ``as_of`` is refused rather than silently used.
    """
    p = params or RegimeParams()
    if as_of.tzinfo is None:
        raise ValidationFailed("as_of", "must be timezone-aware (UTC)", as_of)
    check_bars(bars)
    check_aligned(bars, ind)
    n = len(bars)
    if n and not timeframe.is_closed(bar_time(bar_times_ns(bars), n - 1), as_of):
        raise ValidationFailed(
            "bars", f"last bar {bars.index[-1]} is not closed at as_of {as_of.isoformat()}"
        )

    def regime(kind: RegimeKind, strength: float, vol: float, trend: float) -> Regime:
        return Regime(
            symbol=symbol,
            timeframe=timeframe,
            as_of=as_of,
            kind=kind,
            strength=clip01(strength),
            volatility_percentile=vol,
            trend_score=max(-1.0, min(1.0, trend)),
        )

    if n == 0:
        return regime(RegimeKind.SIDEWAYS, 0.0, 0.5, 0.0)
    (close,) = columns(bars, ("close",), "bars")
    ema_fast, ema_slow, atr, adx = columns(ind, ("ema_fast", "ema_slow", "atr", "adx"), "ind")
    vol = volatility_percentile(atr, close, p.vol_lookback)
    trend = trend_score(ema_fast, ema_slow, atr, adx, p)
    if trend is None:
        return regime(RegimeKind.SIDEWAYS, 0.0, vol, 0.0)
    score, adx_now = trend
    if adx_now >= p.adx_threshold and abs(score) >= p.min_trend_score:
        kind = RegimeKind.BULL if score > 0.0 else RegimeKind.BEAR
        strength = (abs(score) - p.min_trend_score) / (1.0 - p.min_trend_score)
    else:
        kind, strength = RegimeKind.SIDEWAYS, 1.0 - abs(score) / p.min_trend_score
    return regime(kind, strength, vol, score)


def trend_score(
    ema_fast: FloatArray,
    ema_slow: FloatArray,
    atr: FloatArray,
    adx: FloatArray,
    params: RegimeParams,
) -> tuple[float, float] | None:
    """``(trend_score, adx)`` at the last bar, or ``None`` while inputs warm up."""
    t = ema_slow.shape[0] - 1
    if t < params.slope_bars:
        return None
    fast, slow, past = (
        float(ema_fast[t]),
        float(ema_slow[t]),
        float(ema_slow[t - params.slope_bars]),
    )
    a, strength = float(atr[t]), float(adx[t])
    if not (a > 0.0 and all(math.isfinite(x) for x in (fast, slow, past, strength))):
        return None
    slope = (slow - past) / (params.slope_bars * a)
    raw = params.slope_weight * math.tanh(slope / params.slope_scale_atr) + (
        1.0 - params.slope_weight
    ) * math.tanh((fast - slow) / a / params.spread_scale_atr)
    return raw * min(1.0, max(0.0, strength) / params.adx_full), strength


def volatility_percentile(atr: FloatArray, close: FloatArray, lookback: int) -> float:
    """Mid-rank percentile of the last ``atr / close`` within the last ``lookback`` bars."""
    window = atr[-lookback:] / close[-lookback:]
    current = float(window[-1])
    if not math.isfinite(current):
        return 0.5
    finite = window[np.isfinite(window)]
    below = float(np.count_nonzero(finite < current))
    equal = float(np.count_nonzero(finite == current))
    return clip01((below + 0.5 * equal) / finite.shape[0]) if finite.shape[0] > 1 else 0.5
