"""Run every pattern family on one (symbol, timeframe) frame of closed bars."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pandas as pd

from quorum.analysis.patterns.breakouts import breakout_hits
from quorum.analysis.patterns.candles import candle_hits
from quorum.analysis.patterns.divergence import divergence_hits
from quorum.analysis.patterns.inputs import PatternInput
from quorum.analysis.patterns.levels import build_levels, level_hits
from quorum.analysis.patterns.params import PatternParams
from quorum.analysis.patterns.swings import swing_positions
from quorum.domain.analysis import PatternFamily, PatternHit
from quorum.domain.timeframe import Timeframe

_NO_LEVEL = Decimal(0)
_FAMILY_ORDER = {family: rank for rank, family in enumerate(PatternFamily)}


def detect_patterns(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    ind: pd.DataFrame,
    params: PatternParams | None = None,
) -> list[PatternHit]:
    """All pattern hits of ``bars`` (closed bars only, already cut at ``as_of``).

    ``ind`` is indexed like ``bars`` and holds ``atr`` plus the oscillators named
    in ``params.divergence.oscillators`` (``rsi`` and ``macd_hist`` by default).
    Swings and levels are computed once and shared by levels, breakouts and
    divergences. Hits are sorted by confidence (highest first), then family,
    name, bars and level, so equal inputs always give the same list.
    """
    p = params or PatternParams()
    data = PatternInput(symbol, timeframe, bars, ind)
    if data.n == 0:
        return []
    swings = swing_positions(data.high, data.low, p.swings)
    levels = build_levels(data, swings, p.levels)
    hits = [
        *level_hits(data, levels, p.levels),
        *breakout_hits(data, levels, p.breakouts),
        *candle_hits(data, p.candles),
        *divergence_hits(data, swings, p.divergence),
    ]
    return sorted(hits, key=sort_key)


def sort_key(hit: PatternHit) -> tuple[float, int, str, tuple[datetime, ...], Decimal]:
    """Confidence descending, then family, name, bar times and level."""
    return (
        -hit.confidence,
        _FAMILY_ORDER[hit.family],
        hit.name,
        hit.bars,
        _NO_LEVEL if hit.level is None else hit.level,
    )
