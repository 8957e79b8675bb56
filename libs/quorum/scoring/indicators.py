"""Indicator values → signed signals in [-1, 1] (positive is bullish).

Trend and momentum readings follow the trend; oscillators read overbought / oversold
only outside their neutral band (inside it they say nothing, so they never fight a trend):

=========== ============================================================ =================
signal      rule                                                         needs
=========== ============================================================ =================
ema         tanh((ema_fast − ema_slow) / (ema_scale_atr × atr))          ema_fast, ema_slow, atr
macd        tanh(macd_hist / (macd_scale_atr × atr))                     macd_hist, atr
dmi         (+DI − −DI) / (+DI + −DI) × min(1, adx / dmi_full_adx)       plus_di, minus_di, adx
rsi         +(30 − rsi)/20 below 30, −(rsi − 70)/20 above 70, else 0     rsi
stoch       +(20 − %K)/20 below 20, −(%K − 80)/20 above 80, else 0       stoch_k
mfi         as stoch with mfi                                            mfi
cci         +(−100 − cci)/100 below −100, −(cci − 100)/100 above 100     cci
bollinger   %b = (close − lower)/(upper − lower): +(−%b)/0.5 below the   close, bb_lower,
            lower band, −(%b − 1)/0.5 above the upper band, else 0       bb_upper
=========== ============================================================ =================

Every result is clipped to [-1, 1]. A signal whose inputs are missing, or whose scale
(ATR, band width, DI sum) is not positive, is left out. ``obv_change`` (no natural scale)
and the volume-profile levels are not read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from quorum.scoring.settings import ScoringSettings


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _squash(value: float, scale: float) -> float:
    """``tanh(value / scale)`` for ``scale > 0``; a ratio that overflows saturates at ±1."""
    return _clip(math.tanh(value / scale))


def _band(value: float, low: float, high: float, span: float) -> float:
    """Oversold (below ``low``) is bullish, overbought (above ``high``) bearish, else 0."""
    if value < low:
        return _clip((low - value) / span)
    if value > high:
        return _clip(-(value - high) / span)
    return 0.0


def _has(values: Mapping[str, float], *names: str) -> bool:
    return all(name in values for name in names)


def indicator_signals(values: Mapping[str, float], settings: ScoringSettings) -> dict[str, float]:
    """The signals of one snapshot's ``values`` (see the module table), in a fixed order."""
    out: dict[str, float] = {}
    atr = values.get("atr", 0.0)
    ema_scale = settings.ema_scale_atr * atr
    if ema_scale > 0 and _has(values, "ema_fast", "ema_slow"):
        out["ema"] = _squash(values["ema_fast"] - values["ema_slow"], ema_scale)
    macd_scale = settings.macd_scale_atr * atr
    if macd_scale > 0 and _has(values, "macd_hist"):
        out["macd"] = _squash(values["macd_hist"], macd_scale)
    if _has(values, "plus_di", "minus_di", "adx"):
        total = values["plus_di"] + values["minus_di"]
        if total > 0:
            gate = min(1.0, max(0.0, values["adx"]) / settings.dmi_full_adx)
            out["dmi"] = _clip((values["plus_di"] - values["minus_di"]) / total * gate)
    if _has(values, "rsi"):
        out["rsi"] = _band(values["rsi"], 30.0, 70.0, 20.0)
    if _has(values, "stoch_k"):
        out["stoch"] = _band(values["stoch_k"], 20.0, 80.0, 20.0)
    if _has(values, "mfi"):
        out["mfi"] = _band(values["mfi"], 20.0, 80.0, 20.0)
    if _has(values, "cci"):
        out["cci"] = _band(values["cci"], -100.0, 100.0, 100.0)
    if _has(values, "close", "bb_lower", "bb_upper"):
        width = values["bb_upper"] - values["bb_lower"]
        if width > 0:
            percent_b = (values["close"] - values["bb_lower"]) / width
            out["bollinger"] = _band(percent_b, 0.0, 1.0, 0.5)
    return out
