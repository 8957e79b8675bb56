"""Confirmed swing highs and lows (fractal pivots).

Bar ``i`` is a swing high when its high is strictly above the ``left`` highs
before it and at least as high as the ``right`` highs after it (so a flat top
yields one pivot, on its first bar); swing lows mirror this. A pivot is
*confirmed* once its ``right`` bars have closed: on a frame of ``n`` bars only
pivots at ``i <= n - 1 - right`` exist. The test at ``i`` reads bars
``i - left .. i + right`` only, so the pivots of ``bars[:k]`` are exactly the
pivots of the full frame whose confirmation bar ``i + right`` is ``<= k - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quorum.analysis.patterns.inputs import FloatArray, IntArray, check_bars, column
from quorum.analysis.patterns.params import SwingParams


@dataclass(frozen=True, slots=True)
class Swings:
    """Positions (row numbers, ascending) of confirmed swing highs and lows."""

    highs: IntArray
    lows: IntArray


def _pivot_mask(values: FloatArray, left: int, right: int) -> npt.NDArray[np.bool_]:
    """Maxima along the last axis: ``> left`` neighbours, ``>= right`` neighbours.

    Entry ``i`` of the result is bar ``left + i``; rows are independent series.
    """
    end = values.shape[-1] - right
    core = values[..., left:end]
    ok = np.ones(core.shape, dtype=np.bool_)
    for k in range(1, left + 1):
        ok &= core > values[..., left - k : end - k]
    for k in range(1, right + 1):
        ok &= core >= values[..., left + k : end + k]
    return ok


def swing_positions(high: FloatArray, low: FloatArray, params: SwingParams) -> Swings:
    left, right = params.left, params.right
    if high.shape[0] < left + right + 1:
        empty = np.empty(0, dtype=np.int64)
        return Swings(highs=empty, lows=empty)
    mask = _pivot_mask(np.stack((high, -low)), left, right)  # both sides in one pass
    return Swings(
        highs=np.flatnonzero(mask[0]).astype(np.int64) + left,
        lows=np.flatnonzero(mask[1]).astype(np.int64) + left,
    )


def find_swings(bars: pd.DataFrame, params: SwingParams | None = None) -> Swings:
    """Confirmed swing highs and lows of ``bars`` (closed bars only)."""
    check_bars(bars)
    p = params or SwingParams()
    return swing_positions(column(bars, "high", "bars"), column(bars, "low", "bars"), p)
