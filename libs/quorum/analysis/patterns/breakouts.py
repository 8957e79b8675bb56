"""Range and level breakouts confirmed on the close and by volume.

Rules for a breaking bar ``j`` among the last ``recent_bars`` closed bars
(defaults in :class:`BreakoutParams`; ATR is ``ind['atr']`` at ``j``):

* Volume gate: ``volume[j] >= min_volume_ratio`` × mean volume of the
  ``volume_bars`` bars before ``j`` (zero average volume counts as ratio 1);
  bars failing it report nothing.
* Range break: ``close[j]`` clears the highest high (lowest low) of the
  ``range_bars`` bars before ``j`` by ``>= min_break_atr`` ATR →
  ``range_breakout`` (bullish) / ``range_breakdown`` (bearish). Bars: the bar
  that set the range edge and ``j``.
* Level break: the previous close was at or below (above) a support/resistance
  level and ``close[j]`` clears it (see :mod:`levels`, touches before ``j``)
  by ``>= min_break_atr`` ATR → ``level_breakout`` / ``level_breakdown``; of
  several broken levels the most confident one is reported. Bars: the touches
  and ``j``.
* Confidence = 0.5·size + 0.5·volume with size = break ATR / ``full_break_atr``
  and volume = (ratio − 1) / (``full_volume_ratio`` − 1), both clipped to
  [0, 1]; a level break is further scaled by 0.5 + 0.5·(level confidence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quorum.analysis.patterns.inputs import FloatArray, PatternInput, clip01, to_price
from quorum.analysis.patterns.levels import Level, build_levels
from quorum.analysis.patterns.params import BreakoutParams, LevelParams, SwingParams
from quorum.analysis.patterns.swings import swing_positions
from quorum.domain.analysis import Bias, PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe


@dataclass(frozen=True, slots=True)
class _Bar:
    j: int
    atr: float
    volume_ratio: float
    volume_score: float


def breakout_hits(
    data: PatternInput, levels: list[Level], params: BreakoutParams
) -> list[PatternHit]:
    hits: list[PatternHit] = []
    atr = data.indicator("atr")
    for j in range(max(1, data.n - params.recent_bars), data.n):
        bar = _gate(data, atr, j, params)
        if bar is None:
            continue
        hits.extend(_range_breaks(data, bar, params))
        hits.extend(_level_breaks(data, bar, levels, params))
    return hits


def _gate(data: PatternInput, atr: FloatArray, j: int, params: BreakoutParams) -> _Bar | None:
    a = float(atr[j])
    if not a > 0.0 or j < params.volume_bars:
        return None
    average = float(data.volume[j - params.volume_bars : j].mean())
    ratio = float(data.volume[j]) / average if average > 0.0 else 1.0
    if ratio < params.min_volume_ratio:
        return None
    score = clip01((ratio - 1.0) / (params.full_volume_ratio - 1.0))
    return _Bar(j=j, atr=a, volume_ratio=ratio, volume_score=score)


def _range_breaks(data: PatternInput, bar: _Bar, params: BreakoutParams) -> list[PatternHit]:
    j, n_range = bar.j, params.range_bars
    if j < n_range:
        return []
    close = float(data.close[j])
    window = slice(j - n_range, j)
    top = int(np.argmax(data.high[window])) + j - n_range
    bottom = int(np.argmin(data.low[window])) + j - n_range
    found = []
    for name, bias, edge_bar, edge in (
        ("range_breakout", Bias.BULLISH, top, float(data.high[top])),
        ("range_breakdown", Bias.BEARISH, bottom, float(data.low[bottom])),
    ):
        size = bias.sign * (close - edge) / bar.atr
        if size >= params.min_break_atr and size > 0.0:
            confidence = 0.5 * clip01(size / params.full_break_atr) + 0.5 * bar.volume_score
            found.append(
                _hit(data, name, bias, confidence, (edge_bar, j), edge, size, bar, n_range)
            )
    return found


def _level_breaks(
    data: PatternInput, bar: _Bar, levels: list[Level], params: BreakoutParams
) -> list[PatternHit]:
    j = bar.j
    close, prev = float(data.close[j]), float(data.close[j - 1])
    found = []
    for name, bias in (("level_breakout", Bias.BULLISH), ("level_breakdown", Bias.BEARISH)):
        s = bias.sign
        broken = [
            lv
            for lv in levels
            if lv.touches[-1] < j
            and s * (prev - lv.price) <= 0.0
            and s * (close - lv.price) >= max(params.min_break_atr * bar.atr, 1e-12 * lv.price)
        ]
        if not broken:
            continue
        lv = max(broken, key=lambda x: (x.confidence, -abs(close - x.price)))
        size = s * (close - lv.price) / bar.atr
        base = 0.5 * clip01(size / params.full_break_atr) + 0.5 * bar.volume_score
        confidence = base * (0.5 + 0.5 * lv.confidence)
        positions = (*lv.touches, j)
        found.append(_hit(data, name, bias, confidence, positions, lv.price, size, bar, None, lv))
    return found


def _hit(
    data: PatternInput,
    name: str,
    bias: Bias,
    confidence: float,
    positions: tuple[int, ...],
    edge: float,
    size: float,
    bar: _Bar,
    range_bars: int | None,
    level: Level | None = None,
) -> PatternHit:
    details = {"break_atr": size, "volume_ratio": bar.volume_ratio}
    if range_bars is not None:
        details["range_bars"] = float(range_bars)
    if level is not None:
        details["touches"] = float(len(level.touches))
        details["level_confidence"] = level.confidence
    return PatternHit(
        symbol=data.symbol,
        timeframe=data.timeframe,
        family=PatternFamily.BREAKOUT,
        name=name,
        bias=bias,
        confidence=clip01(confidence),
        bars=data.times(positions),
        level=to_price(edge),
        details=details,
    )


def find_breakouts(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    params: BreakoutParams | None = None,
    levels: LevelParams | None = None,
    swings: SwingParams | None = None,
) -> list[PatternHit]:
    """Breakout hits on the last closed bar(s) of ``bars`` (needs ``ind['atr']``)."""
    data = PatternInput(symbol, timeframe, bars, ind)
    found = swing_positions(data.high, data.low, swings or SwingParams())
    built = build_levels(data, found, levels or LevelParams())
    return breakout_hits(data, built, params or BreakoutParams())
