"""Volume profile: traded volume by price bin, point of control and value area.

Rules (see also ``docs/indicators.md``):

* Bins: ``bins`` equal-width bins spanning ``[min(low), max(high)]`` of the bars given.
* Distribution: a bar's volume is spread uniformly over its ``[low, high]``
  range, so each bin receives ``volume × overlap / (high − low)``; a bar with
  ``high == low`` puts all its volume in the bin that contains its price (the
  top bin when the price is the top edge). Bins are half-open ``[lo, hi)``
  except the last, which is closed. Total volume is conserved.
* Point of control (POC): the centre of the bin with the most volume. Ties go
  to the bin whose centre is nearest the middle of the price range, then to
  the lower bin.
* Value area: starting from the POC bin, add whichever neighbouring bin (next
  above or next below) holds more volume, one bin at a time, until the bins
  included hold at least ``value_area`` of the total. Equal neighbours are both
  added; a side with no bins left yields to the other. VAL/VAH are the lower
  edge of the lowest and the upper edge of the highest bin included, so
  ``val <= poc <= vah``.
* Degenerate inputs: when every bar has the same single price, all volume is in
  bin 0 and edges, POC, VAL and VAH all equal that price. With zero total
  volume every bin ties: the POC is the middle bin and the value area is that bin.

This is not pandas-ta's ``vp()``, which splits the bars into time chunks, not price bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quorum.analysis._indicator_kernels import profile_volumes
from quorum.errors import DataQualityError, ValidationFailed

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class VolumeProfile:
    """Volume by price bin of a set of bars, with its point of control and value area."""

    edges: tuple[float, ...]
    """``bins + 1`` increasing bin edges (all equal for a single-price frame)."""
    volumes: tuple[float, ...]
    """Volume in each bin; sums to the bars' total volume."""
    poc: float
    """Point of control: centre of the bin with the most volume."""
    poc_index: int
    val: float
    """Value-area low: lower edge of the lowest bin in the value area."""
    vah: float
    """Value-area high: upper edge of the highest bin in the value area."""
    value_area: float
    """The fraction of total volume the value area was asked to cover."""

    @property
    def total_volume(self) -> float:
        return float(sum(self.volumes))

    @property
    def centers(self) -> tuple[float, ...]:
        return tuple((lo + hi) / 2.0 for lo, hi in zip(self.edges, self.edges[1:], strict=False))


def volume_profile(bars: pd.DataFrame, bins: int, value_area: float) -> VolumeProfile:
    """The volume profile of ``bars`` (columns ``high low volume``) over ``bins`` price bins."""
    if not 1 <= bins <= 10_000:
        raise ValidationFailed("bins", "must be between 1 and 10000", bins)
    if not 0.0 < value_area <= 1.0:
        raise ValidationFailed("value_area", "must be in (0, 1]", value_area)
    missing = [c for c in ("high", "low", "volume") if c not in bars.columns]
    if missing:
        raise DataQualityError(f"volume_profile: bars lack columns {missing}")
    if len(bars) == 0:
        raise DataQualityError("volume_profile: needs at least one bar")
    high = bars["high"].to_numpy(dtype=np.float64)
    low = bars["low"].to_numpy(dtype=np.float64)
    volume = bars["volume"].to_numpy(dtype=np.float64)
    finite = np.isfinite(high) & np.isfinite(low) & np.isfinite(volume)
    bad = np.flatnonzero(~finite | (low > high) | (volume < 0.0))
    if bad.size:
        row = int(bad[0])
        raise DataQualityError(
            f"volume_profile: bars row {row} needs finite low <= high and volume >= 0 "
            f"(low={low[row]}, high={high[row]}, volume={volume[row]})"
        )
    bottom, top = float(low.min()), float(high.max())
    edges: FloatArray
    per_bin: FloatArray
    if top == bottom:
        edges = np.full(bins + 1, bottom, dtype=np.float64)
        per_bin = np.zeros(bins)
        per_bin[0] = volume.sum()
    else:
        edges = np.linspace(bottom, top, bins + 1, dtype=np.float64)
        per_bin = profile_volumes(high, low, volume, edges)
    poc_index = _point_of_control(per_bin)
    first, last = _value_area(per_bin, poc_index, value_area)
    return VolumeProfile(
        edges=tuple(float(e) for e in edges),
        volumes=tuple(float(v) for v in per_bin),
        poc=float((edges[poc_index] + edges[poc_index + 1]) / 2.0),
        poc_index=poc_index,
        val=float(edges[first]),
        vah=float(edges[last + 1]),
        value_area=value_area,
    )


def _point_of_control(per_bin: FloatArray) -> int:
    """Index of the max-volume bin; ties → nearest the middle of the range, then the lower."""
    tied = np.flatnonzero(per_bin == per_bin.max())
    middle = (per_bin.size - 1) / 2.0
    return int(tied[np.argmin(np.abs(tied - middle))])


def _value_area(per_bin: FloatArray, poc: int, fraction: float) -> tuple[int, int]:
    """First and last bin index of the value area grown from ``poc`` (see the module rules)."""
    target = fraction * float(per_bin.sum())
    first = last = poc
    covered = float(per_bin[poc])
    size = per_bin.size
    while covered < target and (first > 0 or last < size - 1):
        below = float(per_bin[first - 1]) if first > 0 else -1.0
        above = float(per_bin[last + 1]) if last < size - 1 else -1.0
        if below >= above:
            first -= 1
            covered += below
        if above >= below:
            last += 1
            covered += above
    return first, last
