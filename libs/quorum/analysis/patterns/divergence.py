"""Regular and hidden divergences between price swings and an oscillator.

Only the last two confirmed swing lows (bullish) and the last two confirmed
swing highs (bearish) are compared, at the swing bars themselves (defaults in
:class:`DivergenceParams`):

===================  ==================  ====================
name                 price (2nd vs 1st)  oscillator
===================  ==================  ====================
regular bullish      lower low           higher low
hidden bullish       higher low          lower low
regular bearish      higher high         lower high
hidden bearish       lower high          higher high
===================  ==================  ====================

The swings are ``min_gap``..``max_gap`` bars apart and the later one is at most
``max_age_bars`` before the last bar. The price difference must be
``>= min_price_atr`` ATR (ATR at the later swing); the oscillator difference
``>= min_rsi_delta`` RSI points for ``rsi`` or ``>= min_osc_delta_atr`` ATR for
``macd`` / ``macd_hist`` (the MACD histogram by default). Confidence is the mean
of the price and oscillator differences scaled by their ``full_*`` values and
capped at 1. Names: ``{regular|hidden}_{bullish|bearish}_divergence_{osc}``;
bars: the two swing bars; level: the later swing's price (its invalidation).
"""

from __future__ import annotations

import pandas as pd

from quorum.analysis.patterns.inputs import FloatArray, IntArray, PatternInput, clip01, to_price
from quorum.analysis.patterns.params import DivergenceParams, SwingParams
from quorum.analysis.patterns.swings import Swings, swing_positions
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe


def divergence_hits(
    data: PatternInput, swings: Swings, params: DivergenceParams
) -> list[PatternHit]:
    if data.n == 0:
        return []
    atr = data.indicator("atr")
    hits = []
    for oscillator in params.oscillators:
        osc = data.indicator(oscillator)
        for pivots, prices, bias in (
            (swings.lows, data.low, Bias.BULLISH),
            (swings.highs, data.high, Bias.BEARISH),
        ):
            hit = _pair(data, pivots, prices, osc, atr, oscillator, bias, params)
            if hit is not None:
                hits.append(hit)
    return hits


def _pair(
    data: PatternInput,
    pivots: IntArray,
    prices: FloatArray,
    osc: FloatArray,
    atr: FloatArray,
    oscillator: str,
    bias: Bias,
    params: DivergenceParams,
) -> PatternHit | None:
    if pivots.shape[0] < 2:
        return None
    first, second = int(pivots[-2]), int(pivots[-1])
    gap = second - first
    if data.n - 1 - second > params.max_age_bars or not params.min_gap <= gap <= params.max_gap:
        return None
    scale = float(atr[second])
    o1, o2 = float(osc[first]), float(osc[second])
    if not scale > 0.0 or not (o1 == o1 and o2 == o2):
        return None
    # Extension > 0: a lower low (bullish side) or a higher high (bearish side).
    s = -float(bias.sign)
    price_ext = s * (float(prices[second]) - float(prices[first])) / scale
    if oscillator == "rsi":
        osc_ext, min_osc, full_osc = s * (o2 - o1), params.min_rsi_delta, params.full_rsi_delta
    else:
        osc_ext = s * (o2 - o1) / scale
        min_osc, full_osc = params.min_osc_delta_atr, params.full_osc_delta_atr
    if osc_ext < 0.0 < price_ext:
        kind = "regular"  # price extends, the oscillator does not
    elif price_ext < 0.0 < osc_ext:
        kind = "hidden"  # the oscillator extends, price does not
    else:
        return None
    if abs(price_ext) < params.min_price_atr or abs(osc_ext) < min_osc:
        return None
    confidence = 0.5 * clip01(abs(price_ext) / params.full_price_atr) + 0.5 * clip01(
        abs(osc_ext) / full_osc
    )
    return PatternHit(
        symbol=data.symbol,
        timeframe=data.timeframe,
        family=PatternFamily.DIVERGENCE,
        name=f"{kind}_{bias.value}_divergence_{oscillator}",
        bias=bias,
        confidence=confidence,
        bars=data.times((first, second)),
        level=to_price(float(prices[second])),
        details={
            "price_change_atr": (float(prices[second]) - float(prices[first])) / scale,
            "oscillator_change": o2 - o1,
            "oscillator_first": o1,
            "oscillator_second": o2,
            "gap_bars": float(gap),
            "bars_since_swing": float(data.n - 1 - second),
        },
    )


def find_divergences(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    params: DivergenceParams | None = None,
    swings: SwingParams | None = None,
) -> list[PatternHit]:
    """Divergence hits of ``bars`` (needs ``ind['atr']`` and each oscillator column)."""
    data = PatternInput(symbol, timeframe, bars, ind)
    found = swing_positions(data.high, data.low, swings or SwingParams())
    return divergence_hits(data, found, params or DivergenceParams())
