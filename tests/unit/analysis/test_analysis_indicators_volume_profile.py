"""Volume profile: price bins, overlap-proportional volume, POC and value-area rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quorum.analysis.volume_profile import volume_profile
from quorum.errors import DataQualityError, ValidationFailed


def bars(rows: list[tuple[float, float, float]]) -> pd.DataFrame:
    """Bars from ``(low, high, volume)``; open and close at the middle."""
    low = np.array([r[0] for r in rows], dtype=np.float64)
    high = np.array([r[1] for r in rows], dtype=np.float64)
    mid = (low + high) / 2
    index = pd.date_range("2024-01-01", periods=len(rows), freq="1h", tz="UTC")
    return pd.DataFrame(
        {"open": mid, "high": high, "low": low, "close": mid, "volume": [r[2] for r in rows]},
        index=index,
    )


# A spans 100..104 with 40 (10 per bin), B spans 102..103 with 10 (all in bin 2),
# C is a zero-range bar at 101 with 5 (bin [101, 102)).  Bins: 10 15 20 10, total 55.
HAND = bars([(100.0, 104.0, 40.0), (102.0, 103.0, 10.0), (101.0, 101.0, 5.0)])


def test_volume_is_spread_over_price_bins_in_proportion_to_overlap() -> None:
    vp = volume_profile(HAND, bins=4, value_area=0.7)
    assert vp.edges == (100.0, 101.0, 102.0, 103.0, 104.0)
    assert vp.volumes == (10.0, 15.0, 20.0, 10.0)
    assert vp.total_volume == 55.0
    assert vp.centers == (100.5, 101.5, 102.5, 103.5)


def test_poc_is_the_centre_of_the_heaviest_bin() -> None:
    vp = volume_profile(HAND, bins=4, value_area=0.7)
    assert (vp.poc_index, vp.poc) == (2, 102.5)


def test_value_area_grows_toward_the_heavier_neighbour_until_covered() -> None:
    # target 0.6 · 55 = 33: POC 20, below (15) beats above (10) → 35 ≥ 33, stop
    vp = volume_profile(HAND, bins=4, value_area=0.6)
    assert (vp.val, vp.vah) == (101.0, 103.0)


def test_equal_neighbours_are_added_together() -> None:
    # target 0.7 · 55 = 38.5: 20 → +15 below = 35 → neighbours 10 and 10 tie → both → 55
    vp = volume_profile(HAND, bins=4, value_area=0.7)
    assert (vp.val, vp.vah) == (100.0, 104.0)


def test_value_area_continues_on_one_side_when_the_other_is_exhausted() -> None:
    # bins 30 10 5 5: POC is bin 0, nothing below, so it grows upward only
    profile = bars([(0.0, 1.0, 30.0), (1.0, 2.0, 10.0), (2.0, 3.0, 5.0), (3.0, 4.0, 5.0)])
    vp = volume_profile(profile, bins=4, value_area=0.9)
    assert vp.volumes == (30.0, 10.0, 5.0, 5.0)
    assert (vp.poc, vp.val, vp.vah) == (0.5, 0.0, 3.0)


def test_poc_ties_go_to_the_bin_nearest_the_middle_then_the_lower() -> None:
    # five bins 0..5, equal peaks in bins 1 and 3 (both 1 from the middle bin 2) → bin 1
    two_peaks = bars([(1.0, 2.0, 9.0), (3.0, 4.0, 9.0), (0.0, 5.0, 5.0)])
    assert volume_profile(two_peaks, bins=5, value_area=0.5).poc_index == 1
    # peaks in bins 0 and 3: bin 3 is nearer the middle
    off_centre = bars([(0.0, 1.0, 9.0), (3.0, 4.0, 9.0), (0.0, 5.0, 5.0)])
    assert volume_profile(off_centre, bins=5, value_area=0.5).poc_index == 3


def test_zero_range_bar_on_the_top_edge_goes_to_the_top_bin() -> None:
    vp = volume_profile(bars([(0.0, 4.0, 4.0), (4.0, 4.0, 10.0)]), bins=4, value_area=0.5)
    assert vp.volumes == (1.0, 1.0, 1.0, 11.0)


def test_single_price_frame_collapses_to_that_price() -> None:
    vp = volume_profile(bars([(50.0, 50.0, 3.0), (50.0, 50.0, 4.0)]), bins=6, value_area=0.7)
    assert set(vp.edges) == {50.0}
    assert vp.volumes == (7.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert (vp.poc, vp.val, vp.vah) == (50.0, 50.0, 50.0)


def test_zero_volume_puts_poc_in_the_middle_bin_and_value_area_on_it() -> None:
    vp = volume_profile(bars([(10.0, 14.0, 0.0), (11.0, 12.0, 0.0)]), bins=4, value_area=0.7)
    assert vp.total_volume == 0.0
    assert (vp.poc_index, vp.val, vp.vah) == (1, 11.0, 12.0)


def test_full_value_area_spans_every_bin() -> None:
    vp = volume_profile(HAND, bins=4, value_area=1.0)
    assert (vp.val, vp.vah) == (100.0, 104.0)


def test_bins_are_price_bins_not_time_chunks() -> None:
    # the same bars in any time order give the same profile
    shuffled = HAND.iloc[[2, 0, 1]].set_axis(HAND.index)
    assert volume_profile(shuffled, bins=4, value_area=0.7) == volume_profile(
        HAND, bins=4, value_area=0.7
    )


def test_profile_is_frozen() -> None:
    vp = volume_profile(HAND, bins=4, value_area=0.7)
    with pytest.raises(AttributeError):
        vp.poc = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bins", "value_area", "field"),
    [(0, 0.7, "bins"), (4, 0.0, "value_area"), (4, 1.01, "value_area")],
)
def test_invalid_arguments_are_refused_naming_them(
    bins: int, value_area: float, field: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        volume_profile(HAND, bins=bins, value_area=value_area)


def test_empty_or_broken_bars_are_data_quality_errors() -> None:
    with pytest.raises(DataQualityError, match="at least one bar"):
        volume_profile(HAND.iloc[:0], bins=4, value_area=0.7)
    with pytest.raises(DataQualityError, match="row 1"):
        volume_profile(bars([(1.0, 2.0, 1.0), (3.0, 2.0, 1.0)]), bins=4, value_area=0.7)
    with pytest.raises(DataQualityError, match="row 0"):
        volume_profile(bars([(1.0, 2.0, -1.0)]), bins=4, value_area=0.7)
    with pytest.raises(DataQualityError, match="volume"):
        volume_profile(HAND.drop(columns="volume"), bins=4, value_area=0.7)
