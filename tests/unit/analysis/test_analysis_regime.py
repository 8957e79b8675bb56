"""Regime detection on constructed trends and noise, with talib-built indicators."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import talib
from pydantic import ValidationError

from quorum.analysis.regime import RegimeParams, detect_regime, volatility_percentile
from quorum.domain.analysis import Regime, RegimeKind
from quorum.domain.timeframe import Timeframe
from quorum.errors import ValidationFailed

SYMBOL = "BTC/USDT"
TF = Timeframe.H1


def frame(close: npt.NDArray[np.float64], seed: int = 0, wick: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = close.shape[0]
    open_ = np.r_[close[0], close[:-1]]
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + wick * rng.random(n),
            "low": np.minimum(open_, close) - wick * rng.random(n),
            "close": close,
            "volume": 100.0,
        },
        index=index,
    )


def indicators(bars: pd.DataFrame) -> pd.DataFrame:
    h, low, c = (bars[k].to_numpy() for k in ("high", "low", "close"))
    return pd.DataFrame(
        {
            "ema_fast": talib.EMA(c, 12),
            "ema_slow": talib.EMA(c, 26),
            "atr": talib.ATR(h, low, c, 14),
            "adx": talib.ADX(h, low, c, 14),
        },
        index=bars.index,
    )


def after_last(bars: pd.DataFrame) -> datetime:
    return pd.Timestamp(bars.index[-1]).to_pydatetime() + timedelta(hours=1)


def regime(bars: pd.DataFrame, ind: pd.DataFrame | None = None, **params: float) -> Regime:
    ind = indicators(bars) if ind is None else ind
    return detect_regime(
        SYMBOL, TF, bars, ind, after_last(bars), RegimeParams.model_validate(params)
    )


NOISE = np.random.default_rng(3).normal(0.0, 0.3, 200)
STEPS = np.arange(200)


def test_strong_uptrend_is_bull_with_strength_above_half() -> None:
    r = regime(frame(100.0 + 0.5 * STEPS + NOISE))
    assert r.kind is RegimeKind.BULL
    assert r.strength > 0.5
    assert r.trend_score > 0.5
    assert r.symbol == SYMBOL
    assert r.timeframe is TF


def test_strong_downtrend_is_bear_with_strength_above_half() -> None:
    r = regime(frame(300.0 - 0.5 * STEPS + NOISE))
    assert r.kind is RegimeKind.BEAR
    assert r.strength > 0.5
    assert r.trend_score < -0.5


def test_flat_noise_is_sideways() -> None:
    r = regime(frame(100.0 + 2 * NOISE))
    assert r.kind is RegimeKind.SIDEWAYS
    assert abs(r.trend_score) < 0.25
    assert r.strength > 0.5


def test_rising_emas_with_adx_below_threshold_stay_sideways() -> None:
    bars = frame(100.0 + 0.5 * STEPS + NOISE)
    ind = indicators(bars)
    ind["adx"] = 15.0
    r = regime(bars, ind)
    assert r.kind is RegimeKind.SIDEWAYS
    assert r.trend_score > 0.0  # the direction is still reported, damped by the ADX gate


def test_gentler_trend_has_lower_strength_than_a_steep_one() -> None:
    gentle = regime(frame(100.0 + 0.08 * STEPS + 0.1 * NOISE, wick=0.1))
    steep = regime(frame(100.0 + 0.5 * STEPS + NOISE))
    assert gentle.strength <= steep.strength
    assert gentle.trend_score < steep.trend_score


def test_indicators_still_warming_up_give_sideways_with_zero_strength() -> None:
    bars = frame(100.0 + 0.5 * STEPS[:20] + NOISE[:20])
    r = regime(bars)
    assert (r.kind, r.strength, r.trend_score) == (RegimeKind.SIDEWAYS, 0.0, 0.0)


def test_empty_frame_is_sideways_with_zero_strength() -> None:
    bars = frame(100.0 + NOISE).iloc[:0]
    as_of = datetime.fromisoformat("2024-02-01T00:00:00+00:00")
    r = detect_regime(SYMBOL, TF, bars, indicators(frame(100.0 + NOISE)).iloc[:0], as_of)
    assert (r.kind, r.strength, r.volatility_percentile) == (RegimeKind.SIDEWAYS, 0.0, 0.5)


def test_bar_not_closed_at_as_of_is_refused_naming_bars() -> None:
    bars = frame(100.0 + NOISE)
    as_of = pd.Timestamp(bars.index[-1]).to_pydatetime() + timedelta(minutes=59)
    with pytest.raises(ValidationFailed, match=r"^bars: last bar .* is not closed at as_of"):
        detect_regime(SYMBOL, TF, bars, indicators(bars), as_of)


def test_missing_indicator_column_is_refused_naming_ind() -> None:
    bars = frame(100.0 + NOISE)
    with pytest.raises(ValidationFailed, match="ind: missing column 'adx'"):
        detect_regime(SYMBOL, TF, bars, indicators(bars).drop(columns=["adx"]), after_last(bars))


def test_volatility_spike_at_the_end_ranks_near_the_top() -> None:
    close = np.full(100, 100.0)
    atr = np.r_[np.linspace(1.0, 1.5, 99), 3.0]
    assert volatility_percentile(atr, close, 100) == pytest.approx(0.995)


def test_calm_end_ranks_near_the_bottom_and_warm_up_values_are_skipped() -> None:
    close = np.full(100, 100.0)
    atr = np.r_[np.full(20, np.nan), np.linspace(2.0, 1.0, 80)]
    assert volatility_percentile(atr, close, 100) == pytest.approx(0.5 / 80)


def test_regime_reports_high_volatility_percentile_after_calm_and_low_after_turmoil() -> None:
    calm_then_wild = np.r_[100.0 + 0.2 * NOISE[:150], 100.0 + 8 * NOISE[150:]]
    wild_then_calm = np.r_[100.0 + 8 * NOISE[:150], 100.0 + 0.2 * NOISE[150:]]
    assert regime(frame(calm_then_wild, wick=0.05)).volatility_percentile > 0.7
    assert regime(frame(wild_then_calm, wick=0.05)).volatility_percentile < 0.3


def test_regime_params_refuse_unknown_keys_and_name_bad_fields() -> None:
    with pytest.raises(ValidationError, match="adx_gate"):
        RegimeParams.model_validate({"adx_gate": 25})
    with pytest.raises(ValidationError) as err:
        RegimeParams(min_trend_score=1.5)
    assert err.value.errors()[0]["loc"] == ("min_trend_score",)


def test_naive_as_of_is_refused_naming_as_of() -> None:
    bars = frame(100.0 + NOISE)
    with pytest.raises(ValidationFailed, match=r"^as_of: must be timezone-aware"):
        detect_regime(SYMBOL, TF, bars, indicators(bars), datetime(2024, 3, 1))
