"""The warm-up is long enough: more history before the window does not move the last value.

For each column, the value on the last bar computed from only the last
``warmup_bars`` bars equals the value computed from a much longer history to
1e-9 relative (an absolute floor of 1e-12 × close covers the MACD family,
whose values cross zero). OBV is a running total whose level depends on where
the history starts; its changes do not, which is what the snapshot reports.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from tests.unit.analysis.indicators_kit import random_walk_bars

from quorum.analysis.indicators import (
    INDICATOR_COLUMNS,
    IndicatorParams,
    compute_indicators,
    indicator_snapshot,
)
from quorum.domain.timeframe import Timeframe

RELATIVE = 1e-9


PARAM_SETS = {
    "defaults": IndicatorParams(),
    "slow": IndicatorParams(
        ema_fast=20, ema_slow=50, rsi_length=21, macd_slow=35, adx_length=20, atr_length=21
    ),
    "fast": IndicatorParams(
        ema_fast=3, ema_slow=5, rsi_length=2, macd_fast=3, macd_slow=6, macd_signal=2, adx_length=3
    ),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", PARAM_SETS)
def test_last_value_from_warmup_bars_equals_value_from_long_history(name: str, seed: int) -> None:
    params = PARAM_SETS[name]
    warmup = params.warmup_bars
    bars = random_walk_bars(warmup * 4, seed=seed)
    long_run = compute_indicators(bars, params).iloc[-1]
    short_run = compute_indicators(bars.iloc[-warmup:], params).iloc[-1]
    scale = float(bars["close"].iloc[-1])
    for column in INDICATOR_COLUMNS:
        if column == "obv":
            continue
        assert np.isfinite(short_run[column]), column
        assert short_run[column] == pytest.approx(
            long_run[column], rel=RELATIVE, abs=1e-12 * scale
        ), column


@pytest.mark.parametrize("name", PARAM_SETS)
def test_half_the_warmup_leaves_a_visible_seed_error(name: str) -> None:
    params = PARAM_SETS[name]
    warmup = params.warmup_bars
    worst = 0.0
    for seed in range(6):
        bars = random_walk_bars(warmup * 4, seed=seed)
        long_run = compute_indicators(bars, params).iloc[-1]
        short_run = compute_indicators(bars.iloc[-(warmup // 2) :], params).iloc[-1]
        for column in INDICATOR_COLUMNS:
            if column != "obv" and np.isfinite(short_run[column]):
                diff = abs(short_run[column] - long_run[column])
                worst = max(worst, diff / max(abs(long_run[column]), 1e-300))
    # half the warm-up leaves a visible seed error: the warm-up is not padded for nothing
    assert worst > RELATIVE


def test_obv_level_depends_on_the_start_but_its_changes_do_not() -> None:
    params = IndicatorParams()
    bars = random_walk_bars(2_000, seed=11)
    n = params.warmup_bars
    long_obv = compute_indicators(bars, params)["obv"].to_numpy()
    short_obv = compute_indicators(bars.iloc[-n:], params)["obv"].to_numpy()
    assert long_obv[-1] != pytest.approx(short_obv[-1], rel=1e-3)
    w = params.obv_window
    volume_scale = float(bars["volume"].iloc[-n:].sum())
    assert short_obv[-1] - short_obv[-1 - w] == pytest.approx(
        long_obv[-1] - long_obv[-1 - w], abs=1e-12 * volume_scale
    )


def test_snapshot_values_do_not_depend_on_history_before_the_warmup() -> None:
    params = IndicatorParams()
    bars = random_walk_bars(2_000, seed=5)
    as_of = bars.index[-1].to_pydatetime() + timedelta(hours=1)
    short = bars.iloc[-params.warmup_bars :]
    snapshots = [
        indicator_snapshot("BTC/USDT", Timeframe.H1, b, compute_indicators(b, params), as_of)
        for b in (bars, short)
    ]
    long_values, short_values = (s.values for s in snapshots)
    assert long_values.keys() == short_values.keys()
    volume = float(short["volume"].sum())
    for key, value in long_values.items():
        floor = 1e-12 * (volume if key == "obv_change" else long_values["close"])
        assert short_values[key] == pytest.approx(value, rel=RELATIVE, abs=floor), key
