"""The synthetic market: deterministic, split-invariant, consistent across timeframes, and
statistically plausible (regimes, volatility clustering, volume, gaps)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from quorum.domain import BarFrame, RegimeKind, Timeframe
from quorum.errors import ValidationFailed
from quorum.market import QualityPolicy, SyntheticParams, SyntheticSource, check_bars, resample

SYMBOL = "BTC/USDT"
A = datetime(2024, 3, 1, tzinfo=UTC)
C = A + timedelta(days=20)


def test_same_seed_and_symbol_give_identical_bars_across_instances() -> None:
    one = SyntheticSource(7).fetch_raw(SYMBOL, Timeframe.M15, A, C)
    two = SyntheticSource(7).fetch_raw(SYMBOL, Timeframe.M15, A, C)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) > 1800


def test_seed_and_symbol_each_change_the_bars() -> None:
    base = SyntheticSource(7).fetch_raw(SYMBOL, Timeframe.H1, A, C)
    other_seed = SyntheticSource(8).fetch_raw(SYMBOL, Timeframe.H1, A, C)
    other_symbol = SyntheticSource(7).fetch_raw("ETH/USDT", Timeframe.H1, A, C)
    assert not np.allclose(base["close"].to_numpy()[:100], other_seed["close"].to_numpy()[:100])
    assert not np.allclose(base["close"].to_numpy()[:100], other_symbol["close"].to_numpy()[:100])


@pytest.mark.parametrize("timeframe", [Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1])
@pytest.mark.parametrize(
    "split", [timedelta(0), timedelta(minutes=15), timedelta(days=3, hours=7, minutes=5), C - A]
)
def test_a_window_split_across_calls_gives_the_same_bars(
    timeframe: Timeframe, split: timedelta
) -> None:
    end = A + timedelta(days=60) if timeframe is Timeframe.D1 else C
    whole = SyntheticSource(3).fetch_raw(SYMBOL, timeframe, A, end)
    source = SyntheticSource(3)  # fresh caches in between calls must not matter either
    parts = pd.concat(
        [
            source.fetch_raw(SYMBOL, timeframe, A + split, end),
            SyntheticSource(3).fetch_raw(SYMBOL, timeframe, A, A + split),
        ]
    ).sort_index()
    pd.testing.assert_frame_equal(whole, parts, check_freq=False)


def test_higher_timeframes_equal_a_resample_of_the_base_bars() -> None:
    source = SyntheticSource(5)
    base = BarFrame(SYMBOL, Timeframe.M15, source.fetch_raw(SYMBOL, Timeframe.M15, A, C))
    for tf in (Timeframe.H1, Timeframe.H4, Timeframe.D1):
        direct = source.fetch_raw(SYMBOL, tf, A, C)
        pd.testing.assert_frame_equal(direct, resample(base, tf, C).df, check_freq=False)


def test_bars_pass_the_default_quality_gates_with_gaps_reported() -> None:
    source = SyntheticSource(11)
    raw = source.fetch_raw(SYMBOL, Timeframe.M15, A, C)
    frame, report = check_bars(raw, SYMBOL, Timeframe.M15, C, QualityPolicy())
    assert report.passed
    assert len(frame) == len(raw)
    assert report.missing_bars > 0  # gaps are on by default so detection is exercised
    assert report.missing_bars == 20 * 96 - len(raw)


def test_gap_probability_zero_gives_a_complete_grid() -> None:
    quiet = SyntheticSource(11, params=SyntheticParams(gap_probability=0.0))
    raw = quiet.fetch_raw(SYMBOL, Timeframe.M15, A, C)
    assert len(raw) == 20 * 96


def test_prices_follow_the_start_price_and_ohlc_is_consistent() -> None:
    raw = SyntheticSource(1, start_price=30_000).fetch_raw(SYMBOL, Timeframe.H1, A, C)
    assert 30_000 / 20 < raw["close"].median() < 30_000 * 20
    assert (raw["low"] <= raw[["open", "close"]].min(axis=1)).all()
    assert (raw["high"] >= raw[["open", "close"]].max(axis=1)).all()
    assert (raw["volume"] > 0).all()


def test_returns_show_volatility_clustering_without_intraday_seasonality() -> None:
    flat_day = SyntheticParams(intraday_vol_amplitude=0.0, gap_probability=0.0)
    raw = SyntheticSource(21, params=flat_day).fetch_raw(
        SYMBOL, Timeframe.M15, A, A + timedelta(days=200)
    )
    absolute = np.log(raw["close"]).diff().abs().dropna()
    assert absolute.autocorr(1) > 0.1
    returns = np.log(raw["close"]).diff().dropna()
    assert abs(returns.autocorr(1)) < 0.05  # clustered volatility, not predictable direction
    assert returns.kurt() > 1.0  # fat tails


def test_volume_rises_with_absolute_return_and_follows_the_trading_day() -> None:
    raw = SyntheticSource(4).fetch_raw(SYMBOL, Timeframe.M15, A, A + timedelta(days=120))
    absolute = np.log(raw["close"]).diff().abs()
    assert np.corrcoef(np.log(raw["volume"].iloc[1:]), absolute.iloc[1:])[0, 1] > 0.2
    by_hour = raw["volume"].groupby(raw.index.hour).median()
    assert by_hour.loc[15] > 1.5 * by_hour.loc[3]  # busy afternoon (peak 15 UTC), quiet night


def test_regimes_are_persistent_all_present_and_drive_drift_and_volatility() -> None:
    source = SyntheticSource(2, base_timeframe=Timeframe.H1)  # regimes live on days
    a, b = datetime(2000, 1, 1, tzinfo=UTC), datetime(2020, 1, 1, tzinfo=UTC)
    daily = source.fetch_raw(SYMBOL, Timeframe.D1, a, b)
    regimes = source.regimes(SYMBOL, a, b)
    assert set(regimes.unique()) == {RegimeKind.BULL, RegimeKind.BEAR, RegimeKind.SIDEWAYS}
    assert regimes.value_counts(normalize=True).min() > 0.15
    run_lengths = (regimes != regimes.shift()).cumsum().value_counts()
    assert run_lengths.mean() > 10  # days
    day_return = np.log(daily["close"] / daily["open"])
    stats = day_return.groupby(regimes.reindex(daily.index)).agg(["mean", "std"])
    assert stats.loc[RegimeKind.BULL, "mean"] > stats.loc[RegimeKind.BEAR, "mean"] + 0.002
    assert stats.loc[RegimeKind.BEAR, "std"] > stats.loc[RegimeKind.SIDEWAYS, "std"]


def test_requests_are_validated() -> None:
    source = SyntheticSource(1, base_timeframe=Timeframe.H1)
    with pytest.raises(ValidationFailed, match="cannot build 15m bars from 1h bars"):
        source.fetch_raw(SYMBOL, Timeframe.M15, A, C)
    with pytest.raises(ValidationFailed, match="symbol"):
        source.fetch_raw("btc", Timeframe.H1, A, C)
    with pytest.raises(ValidationFailed, match="until"):
        source.fetch_raw(SYMBOL, Timeframe.H1, C, A)
    with pytest.raises(ValidationFailed, match="start_price"):
        SyntheticSource(1, start_price=0)
    assert len(source.fetch_raw(SYMBOL, Timeframe.H1, A, A)) == 0


def test_twenty_symbols_four_timeframes_500_bars_generate_quickly() -> None:
    source = SyntheticSource(7)
    end = datetime(2025, 6, 1, tzinfo=UTC)
    started = time.process_time()
    for i in range(20):
        for tf in (Timeframe.M15, Timeframe.H1, Timeframe.H4, Timeframe.D1):
            bars = source.fetch_raw(f"S{i}/USDT", tf, end - 500 * tf.delta, end)
            assert len(bars) >= 490
    spent = time.process_time() - started
    # ~0.35 s of CPU on the (shared) dev VM; the bound leaves room for slow CI machines.
    assert spent < 2.0, f"{spent:.2f} s CPU"
