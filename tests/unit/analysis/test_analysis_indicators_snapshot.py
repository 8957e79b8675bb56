"""indicator_snapshot: the last closed bar at as_of, the warm-up gate, the reported keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from quorum.analysis.indicators import (
    INDICATOR_COLUMNS,
    IndicatorParams,
    compute_indicators,
    indicator_snapshot,
)
from quorum.analysis.volume_profile import volume_profile
from quorum.domain.timeframe import Timeframe
from quorum.errors import DataQualityError, ValidationFailed

PARAMS = IndicatorParams()
START = datetime(2024, 5, 1, tzinfo=UTC)


def four_hour_bars(n: int, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 3_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    index = pd.date_range(START, periods=n, freq="4h", tz="UTC", name="ts")
    return pd.DataFrame(
        {
            "open": close,
            "high": close * 1.003,
            "low": close * 0.997,
            "close": close,
            "volume": rng.lognormal(3.0, 0.5, n),
        },
        index=index,
    )


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    bars = four_hour_bars(500)
    return bars, compute_indicators(bars, PARAMS)


Frames = tuple[pd.DataFrame, pd.DataFrame]


def open_time(i: int) -> datetime:
    return START + timedelta(hours=4 * i)


def test_snapshot_reads_the_last_closed_bar_and_ignores_the_forming_one(frames: Frames) -> None:
    bars, ind = frames
    as_of = open_time(499) + timedelta(hours=1)  # bar 499 is still forming
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, as_of)
    assert snap.bar_open == open_time(498)
    assert snap.as_of == as_of
    assert snap.values["rsi"] == ind["rsi"].iloc[498]
    assert snap.values["close"] == bars["close"].iloc[498]


def test_a_bar_closing_exactly_at_as_of_is_closed(frames: Frames) -> None:
    bars, ind = frames
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(500))
    assert snap.bar_open == open_time(499)


def test_snapshot_holds_every_column_but_obv_plus_close_and_obv_change(frames: Frames) -> None:
    bars, ind = frames
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(500))
    expected = {c for c in INDICATOR_COLUMNS if c != "obv"} | {"close", "obv_change"}
    assert set(snap.values) == expected
    obv = ind["obv"].to_numpy()
    assert snap.values["obv_change"] == obv[-1] - obv[-1 - PARAMS.obv_window]
    for column in expected - {"close", "obv_change"}:
        assert snap.values[column] == ind[column].iloc[-1], column


def test_snapshot_adds_the_volume_profile_levels_when_given(frames: Frames) -> None:
    bars, ind = frames
    profile = volume_profile(bars, bins=PARAMS.vp_bins, value_area=PARAMS.vp_value_area)
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(500), profile)
    assert (snap.values["vp_poc"], snap.values["vp_val"], snap.values["vp_vah"]) == (
        profile.poc,
        profile.val,
        profile.vah,
    )
    assert snap.values["vp_val"] <= snap.values["vp_poc"] <= snap.values["vp_vah"]


def test_fewer_closed_bars_than_the_warmup_is_a_data_quality_error_naming_the_series(
    frames: Frames,
) -> None:
    bars, ind = frames
    warmup = PARAMS.warmup_bars
    assert indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(warmup))
    with pytest.raises(DataQualityError, match=r"ETH/USDT 4h: 388 closed bars .* at least 389"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(warmup - 1))


def test_as_of_before_any_bar_closed_is_a_data_quality_error(frames: Frames) -> None:
    bars, ind = frames
    with pytest.raises(DataQualityError, match="0 closed bars"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, START)


def test_explicit_params_override_what_the_frame_recorded(frames: Frames) -> None:
    bars, ind = frames
    longer = IndicatorParams(ema_fast=20, ema_slow=50)
    assert longer.warmup_bars > 500
    with pytest.raises(DataQualityError, match="ETH/USDT 4h"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, open_time(500), params=longer)


def test_indicators_that_lost_their_attrs_need_params(frames: Frames) -> None:
    bars, ind = frames
    bare = pd.DataFrame(ind.to_numpy(), index=ind.index, columns=ind.columns)
    with pytest.raises(ValidationFailed, match="params"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, bare, open_time(500))
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, bare, open_time(500), params=PARAMS)
    assert snap.bar_open == open_time(499)


def test_indicators_on_another_index_are_refused(frames: Frames) -> None:
    bars, ind = frames
    with pytest.raises(ValidationFailed, match="indicators"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind.iloc[1:], open_time(500))


def test_naive_as_of_is_refused(frames: Frames) -> None:
    bars, ind = frames
    with pytest.raises(ValidationFailed, match="as_of"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, datetime(2024, 8, 1))


def test_non_finite_value_at_the_snapshot_bar_is_a_data_quality_error(frames: Frames) -> None:
    bars, ind = frames
    broken = ind.copy()
    broken.loc[broken.index[-1], "cci"] = np.nan
    with pytest.raises(DataQualityError, match=r"\['cci'\] are not finite"):
        indicator_snapshot("ETH/USDT", Timeframe.H4, bars, broken, open_time(500))


def test_as_of_in_another_timezone_is_normalised_to_utc(frames: Frames) -> None:
    from zoneinfo import ZoneInfo

    bars, ind = frames
    as_of = open_time(500).astimezone(ZoneInfo("Asia/Tokyo"))
    snap = indicator_snapshot("ETH/USDT", Timeframe.H4, bars, ind, as_of)
    assert snap.bar_open == open_time(499)
    assert snap.as_of.tzinfo == UTC
