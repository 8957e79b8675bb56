"""IndicatorParams: defaults, validation naming the field, and the derived warm-up."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from quorum.analysis.indicators import CONVERGENCE, IndicatorParams


def test_defaults_are_the_documented_trader_defaults() -> None:
    p = IndicatorParams()
    assert (p.ema_fast, p.ema_slow, p.rsi_length) == (9, 21, 14)
    assert (p.macd_fast, p.macd_slow, p.macd_signal) == (12, 26, 9)
    assert (p.bb_length, p.bb_std, p.atr_length) == (20, 2.0, 14)
    assert (p.stoch_k, p.stoch_d, p.stoch_smooth_k) == (14, 3, 3)
    assert (p.cci_length, p.mfi_length, p.adx_length, p.obv_window) == (20, 14, 14, 20)
    assert (p.vp_bins, p.vp_value_area) == (24, 0.70)


def test_default_warmup_fits_the_standard_500_bar_scan() -> None:
    assert IndicatorParams().warmup_bars == 389
    assert IndicatorParams().warmup_bars <= 500


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ema_fast": 21, "ema_slow": 21}, "ema_fast"),
        ({"ema_fast": 30}, "ema_fast"),
        ({"macd_fast": 26}, "macd_fast"),
        ({"rsi_length": 1}, "rsi_length"),
        ({"atr_length": 0}, "atr_length"),
        ({"bb_std": 0.0}, "bb_std"),
        ({"bb_std": float("nan")}, "bb_std"),
        ({"vp_value_area": 1.5}, "vp_value_area"),
        ({"vp_value_area": 0.0}, "vp_value_area"),
        ({"vp_bins": 1}, "vp_bins"),
        ({"stoch_d": 0}, "stoch_d"),
        ({"obv_window": 0}, "obv_window"),
    ],
)
def test_invalid_parameters_are_refused_naming_the_field(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        IndicatorParams.model_validate(changes)


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="rsi_lenght"):
        IndicatorParams.model_validate({"rsi_lenght": 14})


def test_params_are_frozen() -> None:
    p = IndicatorParams()
    with pytest.raises(ValidationError):
        p.rsi_length = 7  # type: ignore[misc]


def test_fast_stochastic_without_smoothing_is_allowed() -> None:
    assert IndicatorParams(stoch_smooth_k=1, stoch_d=1).stoch_smooth_k == 1


def test_warmup_of_defaults_is_set_by_the_macd_signal_cascade() -> None:
    # MACD(12, 26, 9): signal first defined at 26 + 9 − 2 = 33; the slowest pole is the
    # EMA(26), r = 25/27, feeding the EMA(9) signal, g = 2/10: s steps until
    # (1 + g·s)·r**s <= 1e-10.
    r, g = 25 / 27, 2 / 10
    s = next(s for s in range(1, 10_000) if (1 + g * s) * r**s <= CONVERGENCE)
    assert IndicatorParams().warmup_bars == 33 + s + 1


def test_adx_double_smoothing_needs_almost_as_long() -> None:
    # ADX(14): first value at 2·14 − 1 = 27, then (1 + s/14)·(13/14)**s <= 1e-10
    r, g = 13 / 14, 1 / 14
    s = next(s for s in range(1, 10_000) if (1 + g * s) * r**s <= CONVERGENCE)
    only_adx = IndicatorParams(macd_slow=13, macd_fast=12, macd_signal=2)
    assert only_adx.warmup_bars == 27 + s + 1


def test_warmup_of_a_long_ema_follows_its_smoothing_factor() -> None:
    p = IndicatorParams(ema_fast=20, ema_slow=50)
    alpha = 2 / 51
    expected = 49 + math.ceil(math.log(CONVERGENCE) / math.log(1 - alpha)) + 1
    assert p.warmup_bars == expected


@pytest.mark.parametrize(
    ("field", "long", "longer"),
    [
        ("ema_slow", 60, 70),
        ("rsi_length", 50, 60),
        ("macd_slow", 50, 60),
        ("macd_signal", 40, 50),
        ("atr_length", 40, 50),
        ("adx_length", 30, 40),
    ],
)
def test_warmup_grows_with_the_dominant_recursive_smoother(
    field: str, long: int, longer: int
) -> None:
    base = IndicatorParams.model_validate({field: long})
    assert base.warmup_bars > IndicatorParams().warmup_bars
    assert IndicatorParams.model_validate({field: longer}).warmup_bars > base.warmup_bars


def test_warmup_covers_windowed_indicators_longer_than_the_smoothers() -> None:
    p = IndicatorParams(bb_length=900, cci_length=20)
    assert p.warmup_bars == 900


def test_warmup_follows_a_model_copy_with_updated_lengths() -> None:
    p = IndicatorParams()
    assert p.warmup_bars == 389
    assert (
        p.model_copy(update={"ema_slow": 60}).warmup_bars
        == IndicatorParams(ema_slow=60).warmup_bars
    )
