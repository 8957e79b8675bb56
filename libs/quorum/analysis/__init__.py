"""Pure analysis: indicators, volume profile, chart patterns, regime, the per-frame scan.

Functions take bars (and indicator columns) and return values; no I/O, no clock.
"""

from quorum.analysis.indicators import (
    INDICATOR_COLUMNS,
    IndicatorParams,
    compute_indicators,
    indicator_snapshot,
    warm_up_kernels,
)
from quorum.analysis.patterns import PatternParams, detect_patterns
from quorum.analysis.regime import RegimeParams, detect_regime
from quorum.analysis.scan import ScanParams, analyze_timeframe
from quorum.analysis.volume_profile import VolumeProfile, volume_profile

__all__ = [
    "INDICATOR_COLUMNS",
    "IndicatorParams",
    "PatternParams",
    "RegimeParams",
    "ScanParams",
    "VolumeProfile",
    "analyze_timeframe",
    "compute_indicators",
    "detect_patterns",
    "detect_regime",
    "indicator_snapshot",
    "volume_profile",
    "warm_up_kernels",
]
