"""Candlestick shapes on the last closed bar(s): pin bars, hammer, shooting star,
engulfing, doji — computed as vectorised masks.

Shapes (range = high − low, body = |close − open|, wicks above/below the body;
defaults in :class:`CandleParams`; a bar is readable when ATR is known and its
range is ``>= min_range_atr`` ATR):

* bullish pin: lower wick ``>= pin_wick_min`` × range and ``>= pin_wick_body_ratio``
  × body, upper wick ``<= pin_other_wick_max`` × range; bearish pin mirrors it.
* Context: *trend* = close change over the ``trend_bars`` bars before the candle,
  in ATR (a downtrend is ``<= -trend_min_atr``); *edge* = the candle's low (high)
  within ``range_edge`` of the bottom (top) of the prior ``range_bars`` range.
* ``hammer`` = bullish pin after a downtrend; ``bullish_pin_bar`` = bullish pin at
  the range bottom without a downtrend; ``shooting_star`` / ``bearish_pin_bar``
  mirror them. A pin against its context (hanging man …) is not reported.
* ``bullish_engulfing``: previous bar bearish, this bar bullish, this body covers
  the previous body and is larger, and ``>= engulf_min_body_atr`` ATR;
  ``bearish_engulfing`` mirrors it.
* ``doji``: body ``<= doji_body_max`` × range and not reported as a pin (neutral).

Confidence = mean of shape, size and context scores in [0, 1]: shape from how
far the wick (or body ratio) exceeds its threshold, size = range (body for
engulfing) / ATR capped at 1, context = trend in units of 2 × ``trend_min_atr``
(hammer / star take the larger of it and the edge score; pin bars use the edge score).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quorum.analysis.patterns.inputs import FloatArray, IntArray, PatternInput, clip01, to_price
from quorum.analysis.patterns.params import CandleParams
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe

BoolArray = npt.NDArray[np.bool_]


def _clip(values: FloatArray) -> FloatArray:
    """Clip to [0, 1]; NaN becomes 0 (``fmax`` ignores NaN)."""
    clipped: FloatArray = np.fmin(np.fmax(values, 0.0), 1.0)
    return clipped


@dataclass(frozen=True, slots=True)
class _Features:
    """Per evaluated candle (positions ``at``): shape fractions and context."""

    at: IntArray
    valid: BoolArray
    body: FloatArray
    rng_atr: FloatArray
    body_f: FloatArray
    upper_f: FloatArray
    lower_f: FloatArray
    atr: FloatArray
    move: FloatArray
    prev_move: FloatArray
    prev_body: FloatArray


@dataclass(frozen=True, slots=True)
class _Context:
    """Per evaluated candle: prior trend in ATR and position in the prior range."""

    trend: FloatArray
    bottom: FloatArray
    top: FloatArray


def _features(data: PatternInput, params: CandleParams) -> _Features:
    at = np.arange(max(1, data.n - params.recent_bars), data.n, dtype=np.int64)
    o, h, lo, c = data.open[at], data.high[at], data.low[at], data.close[at]
    atr = data.indicator("atr")[at]
    rng = h - lo
    span = np.where(rng > 0.0, rng, 1.0)
    valid = (atr > 0.0) & (rng > 0.0) & (rng >= params.min_range_atr * atr)  # NaN ATR: False
    safe_atr = np.where(atr > 0.0, atr, np.inf)
    move = c - o
    prev_move = data.close[at - 1] - data.open[at - 1]
    body = np.abs(move)
    return _Features(
        at=at,
        valid=np.asarray(valid, dtype=np.bool_),
        body=body,
        rng_atr=rng / safe_atr,
        body_f=body / span,
        upper_f=(h - np.maximum(o, c)) / span,
        lower_f=(np.minimum(o, c) - lo) / span,
        atr=safe_atr,
        move=move,
        prev_move=prev_move,
        prev_body=np.abs(prev_move),
    )


def _context(data: PatternInput, f: _Features, params: CandleParams) -> _Context:
    bottom, top = _range_position(data, f.at, params.range_bars)
    return _Context(_trend_atr(data, f.at, f.atr, params.trend_bars), bottom, top)


_Found = tuple[str, Bias, BoolArray, FloatArray, int, FloatArray | None]


def _pins(data: PatternInput, f: _Features, ctx: _Context, params: CandleParams) -> list[_Found]:
    room = 1.0 - params.pin_wick_min
    size = _clip(f.rng_atr)
    down = ctx.trend <= -params.trend_min_atr
    up = ctx.trend >= params.trend_min_atr
    found: list[_Found] = []
    for bias, wick, other, edge, trend, with_trend, pin_name, trend_name, level in (
        (Bias.BULLISH, f.lower_f, f.upper_f, ctx.bottom, -ctx.trend, down, "bullish_pin_bar",
         "hammer", data.low[f.at]),
        (Bias.BEARISH, f.upper_f, f.lower_f, ctx.top, ctx.trend, up, "bearish_pin_bar",
         "shooting_star", data.high[f.at]),
    ):  # fmt: skip
        pin = (
            f.valid
            & (wick >= params.pin_wick_min)
            & (wick >= params.pin_wick_body_ratio * f.body_f)
            & (other <= params.pin_other_wick_max)
        )
        if not pin.any():
            continue
        shape = 0.5 + 0.5 * _clip((wick - params.pin_wick_min) / room)
        edge_score = _clip(1.0 - edge / params.range_edge)
        trend_score = _clip(trend / (2.0 * params.trend_min_atr))
        both = (shape + size + np.maximum(trend_score, edge_score)) / 3.0
        found.append((trend_name, bias, pin & with_trend, both, 0, level))
        at_edge = pin & ~with_trend & (edge <= params.range_edge)
        found.append((pin_name, bias, at_edge, (shape + size + edge_score) / 3.0, 0, level))
    return found


def _engulfing(
    data: PatternInput, f: _Features, ctx: _Context, params: CandleParams
) -> list[_Found]:
    o, c = data.open[f.at], data.close[f.at]
    prev_o, prev_c = data.open[f.at - 1], data.close[f.at - 1]
    min_body = params.engulf_min_body_atr * np.where(np.isfinite(f.atr), f.atr, 0.0)
    big = f.valid & (f.body > f.prev_body) & (f.body >= min_body)
    bull = big & (prev_c < prev_o) & (c > o) & (o <= prev_c) & (c >= prev_o)
    bear = big & (prev_c > prev_o) & (c < o) & (o >= prev_c) & (c <= prev_o)
    if not (bull.any() or bear.any()):
        return []
    # Both bodies are non-zero on a match; elsewhere a flat previous body reads as ratio 2.
    ratio = f.body / np.where(f.prev_body > 0.0, f.prev_body, f.body / 2.0 + 1e-300)
    shape = 0.5 + 0.5 * _clip(ratio - 1.0)
    size = _clip(f.body / f.atr)
    low = np.minimum(data.low[f.at], data.low[f.at - 1])
    high = np.maximum(data.high[f.at], data.high[f.at - 1])
    trend_bull = _clip(-ctx.trend / (2.0 * params.trend_min_atr))
    trend_bear = _clip(ctx.trend / (2.0 * params.trend_min_atr))
    return [
        ("bullish_engulfing", Bias.BULLISH, bull, (shape + size + trend_bull) / 3.0, 1, low),
        ("bearish_engulfing", Bias.BEARISH, bear, (shape + size + trend_bear) / 3.0, 1, high),
    ]


def _doji(f: _Features, params: CandleParams, pins: list[_Found]) -> list[_Found]:
    doji = f.valid & (f.body_f <= params.doji_body_max)
    for _, _, mask, _, _, _ in pins:
        doji &= ~mask
    if not doji.any():
        return []
    confidence = 0.5 * (_clip(1.0 - f.body_f / params.doji_body_max) + _clip(f.rng_atr))
    return [("doji", Bias.NEUTRAL, doji, confidence, 0, None)]


def candle_hits(data: PatternInput, params: CandleParams) -> list[PatternHit]:
    if data.n < 2:
        return []
    f = _features(data, params)
    maybe = f.valid & (
        (f.body_f <= params.doji_body_max)
        | (np.fmax(f.lower_f, f.upper_f) >= params.pin_wick_min)
        | ((f.body > f.prev_body) & (f.move * f.prev_move < 0.0))  # engulfing candidate
    )
    if not maybe.any():
        return []  # no shape can match: skip the context work
    ctx = _context(data, f, params)
    pins = _pins(data, f, ctx, params)
    hits = []
    for name, bias, mask, confidence, back, level in (
        *pins,
        *_engulfing(data, f, ctx, params),
        *_doji(f, params, pins),
    ):
        for k in np.flatnonzero(mask).tolist():
            j = int(f.at[k])
            hits.append(
                PatternHit(
                    symbol=data.symbol,
                    timeframe=data.timeframe,
                    family=PatternFamily.CANDLESTICK,
                    name=name,
                    bias=bias,
                    confidence=clip01(float(confidence[k])),
                    bars=data.times(range(j - back, j + 1)),
                    level=None if level is None else to_price(float(level[k])),
                    details={
                        "body_frac": float(f.body_f[k]),
                        "upper_wick_frac": float(f.upper_f[k]),
                        "lower_wick_frac": float(f.lower_f[k]),
                        "range_atr": float(f.rng_atr[k]),
                        "trend_atr": float(ctx.trend[k]),
                    },
                )
            )
    return hits


def _trend_atr(data: PatternInput, at: IntArray, atr: FloatArray, bars: int) -> FloatArray:
    """Close change over the ``bars`` bars before each candle, in ATR (0 without history)."""
    base = at - 1 - bars
    has = base >= 0
    move = data.close[at - 1] - data.close[np.where(has, base, 0)]
    return np.where(has & np.isfinite(atr), move / atr, 0.0)


def _range_position(data: PatternInput, at: IntArray, bars: int) -> tuple[FloatArray, FloatArray]:
    """Distance of each candle's low above the prior range bottom, and of its high below
    the prior range top, as fractions of that range (inf without history)."""
    bottom = np.full(at.shape[0], np.inf)
    top = np.full(at.shape[0], np.inf)
    for k, j in enumerate(at.tolist()):
        if j < bars:
            continue
        r_low = float(data.low[j - bars : j].min())
        r_high = float(data.high[j - bars : j].max())
        width = r_high - r_low
        if width > 0.0:
            bottom[k] = max(0.0, (float(data.low[j]) - r_low) / width)
            top[k] = max(0.0, (r_high - float(data.high[j])) / width)
    return bottom, top


def find_candles(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    params: CandleParams | None = None,
) -> list[PatternHit]:
    """Candlestick hits on the last closed bar(s) of ``bars`` (needs ``ind['atr']``)."""
    return candle_hits(PatternInput(symbol, timeframe, bars, ind), params or CandleParams())
