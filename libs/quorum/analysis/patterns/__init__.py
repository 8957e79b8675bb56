"""Chart patterns on closed bars: swings, support/resistance, breakouts, candles, divergences.

Every detector is a pure function of the frames it is given (bars and
indicators already cut at ``as_of``) and returns :class:`PatternHit` values
with a confidence in [0, 1] and the open times of the bars that form them.
"""

from quorum.analysis.patterns.breakouts import find_breakouts
from quorum.analysis.patterns.candles import find_candles
from quorum.analysis.patterns.detect import detect_patterns
from quorum.analysis.patterns.divergence import find_divergences
from quorum.analysis.patterns.levels import find_levels
from quorum.analysis.patterns.params import (
    BreakoutParams,
    CandleParams,
    DivergenceParams,
    LevelParams,
    PatternParams,
    SwingParams,
)
from quorum.analysis.patterns.swings import Swings, find_swings

__all__ = [
    "BreakoutParams",
    "CandleParams",
    "DivergenceParams",
    "LevelParams",
    "PatternParams",
    "SwingParams",
    "Swings",
    "detect_patterns",
    "find_breakouts",
    "find_candles",
    "find_divergences",
    "find_levels",
    "find_swings",
]
