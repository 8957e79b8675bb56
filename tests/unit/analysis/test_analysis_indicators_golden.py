"""Golden tests: every indicator column against TA-Lib, and tiny series computed by hand.

TA-Lib (a dev dependency; the wheel bundles its C library) is the independent
implementation. Inputs are a seeded geometric random walk on a 0.01 tick grid,
so closes and typical prices repeat (the tie rules of OBV and MFI are exercised).
Where our definition differs from TA-Lib on purpose the test asserts the
documented difference instead (see docs/indicators.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
import talib
from talib._ta_lib import MA_Type  # the enum the stubs type STOCH/BBANDS with
from tests.unit.analysis.indicators_kit import random_walk_bars

from quorum.analysis.indicators import INDICATOR_COLUMNS, IndicatorParams, compute_indicators

FloatArray = npt.NDArray[np.float64]
TOLERANCE = 1e-6
PARAMS = IndicatorParams()


def talib_reference(bars: pd.DataFrame, p: IndicatorParams) -> dict[str, FloatArray]:
    """The same indicator set from TA-Lib, on the same float64 inputs."""
    h, low, c, v = (bars[k].to_numpy(dtype=np.float64) for k in ("high", "low", "close", "volume"))
    macd, signal, hist = talib.MACD(c, p.macd_fast, p.macd_slow, p.macd_signal)
    upper, mid, lower = talib.BBANDS(c, p.bb_length, p.bb_std, p.bb_std, MA_Type.SMA)
    slow_k, slow_d = talib.STOCH(
        h, low, c, p.stoch_k, p.stoch_smooth_k, MA_Type.SMA, p.stoch_d, MA_Type.SMA
    )
    return {
        "ema_fast": talib.EMA(c, p.ema_fast),
        "ema_slow": talib.EMA(c, p.ema_slow),
        "rsi": talib.RSI(c, p.rsi_length),
        "macd": macd,
        "macd_signal": signal,
        "macd_hist": hist,
        "bb_lower": lower,
        "bb_mid": mid,
        "bb_upper": upper,
        "atr": talib.ATR(h, low, c, p.atr_length),
        "stoch_k": slow_k,
        "stoch_d": slow_d,
        "cci": talib.CCI(h, low, c, p.cci_length),
        "mfi": talib.MFI(h, low, c, v, p.mfi_length),
        "adx": talib.ADX(h, low, c, p.adx_length),
        "plus_di": talib.PLUS_DI(h, low, c, p.adx_length),
        "minus_di": talib.MINUS_DI(h, low, c, p.adx_length),
        "obv": talib.OBV(c, v),
    }


@pytest.fixture(scope="module")
def walk() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, FloatArray]]:
    bars = random_walk_bars(3_000, seed=20240101)
    return bars, compute_indicators(bars, PARAMS), talib_reference(bars, PARAMS)


Walk = tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]

# TA-Lib seeds these differently (MACD aligns its fast EMA's seed with the slow
# one; DI/ADX seed Wilder's sums with n - 1 values), so they agree only once the
# seed has decayed: after warm-up.
SEEDED_DIFFERENTLY = {"macd", "macd_signal", "macd_hist", "adx", "plus_di", "minus_di"}


@pytest.mark.parametrize("column", INDICATOR_COLUMNS)
def test_every_column_matches_talib_after_warmup_on_a_random_walk(column: str, walk: Walk) -> None:
    _, ours, reference = walk
    start = PARAMS.warmup_bars - 1
    np.testing.assert_allclose(
        ours[column].to_numpy()[start:], reference[column][start:], rtol=TOLERANCE, atol=TOLERANCE
    )


@pytest.mark.parametrize("column", [c for c in INDICATOR_COLUMNS if c not in SEEDED_DIFFERENTLY])
def test_columns_seeded_like_talib_match_it_from_talib_first_value(column: str, walk: Walk) -> None:
    _, ours, reference = walk
    start = int(np.flatnonzero(~np.isnan(reference[column]))[0])
    np.testing.assert_allclose(
        ours[column].to_numpy()[start:], reference[column][start:], rtol=TOLERANCE, atol=TOLERANCE
    )


def test_lookbacks_match_talib_except_macd_and_stoch_k_which_start_earlier(walk: Walk) -> None:
    _, ours, reference = walk
    first = {c: (_first(ours[c].to_numpy()), _first(reference[c])) for c in INDICATOR_COLUMNS}
    p = PARAMS
    # TA-Lib emits MACD and %K only once their signal / %D exists; we emit them as
    # soon as they are defined.
    assert first.pop("macd") == (p.macd_slow - 1, p.macd_slow + p.macd_signal - 2)
    assert first.pop("stoch_k") == (
        p.stoch_k + p.stoch_smooth_k - 2,
        p.stoch_k + p.stoch_smooth_k + p.stoch_d - 3,
    )
    assert all(ours_at == theirs for ours_at, theirs in first.values()), first


def _first(values: FloatArray) -> int:
    return int(np.flatnonzero(~np.isnan(values))[0])


def test_walk_has_ties_so_tie_rules_are_exercised(walk: Walk) -> None:
    bars, _, _ = walk
    close = bars["close"].to_numpy()
    tp = (bars["high"] + bars["low"] + bars["close"]).to_numpy() / 3.0
    assert (np.diff(close) == 0.0).sum() >= 3
    # typical prices equal as real numbers, different in the last bit as floats
    assert (np.abs(np.diff(tp)) <= 1e-14 * (np.abs(tp[1:]) + np.abs(tp[:-1]))).sum() >= 1


# -- hand-computed series ---------------------------------------------------------------------


def bars_from_closes(closes: list[float], volumes: list[float] | None = None) -> pd.DataFrame:
    """Bars whose open/high/low equal the close (only close and volume matter to RSI and OBV)."""
    c = np.asarray(closes, dtype=np.float64)
    v = np.asarray(volumes if volumes is not None else [1.0] * len(closes), dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=len(c), freq="1h", tz="UTC")
    return pd.DataFrame({"open": c, "high": c, "low": c, "close": c, "volume": v}, index=index)


TINY = IndicatorParams(
    ema_fast=2, ema_slow=3, rsi_length=2, macd_fast=2, macd_slow=3, macd_signal=2
)


def test_rsi_matches_hand_computed_wilder_series() -> None:
    # closes 10 12 11 13 13 12 → changes +2 −1 +2 0 −1, n = 2
    # bar 2: avg gain (2+0)/2 = 1,      avg loss (0+1)/2 = 0.5    → 100·1/1.5      = 200/3
    # bar 3: gain (1·1+2)/2 = 1.5,      loss (0.5·1+0)/2 = 0.25   → 100·1.5/1.75   = 600/7
    # bar 4: gain (1.5+0)/2 = 0.75,     loss (0.25+0)/2 = 0.125   → 100·0.75/0.875 = 600/7
    # bar 5: gain (0.75+0)/2 = 0.375,   loss (0.125+1)/2 = 0.5625 → 100·0.375/0.9375 = 40
    rsi = compute_indicators(bars_from_closes([10, 12, 11, 13, 13, 12]), TINY)["rsi"]
    expected = [np.nan, np.nan, 200 / 3, 600 / 7, 600 / 7, 40.0]
    np.testing.assert_allclose(rsi.to_numpy(), expected, rtol=1e-12, atol=0.0)


def test_obv_matches_hand_computed_series_with_an_unchanged_close() -> None:
    # starts at the first volume; +v on a higher close, −v on a lower, unchanged adds nothing
    bars = bars_from_closes([10, 11, 11, 10, 12], [100, 200, 300, 400, 500])
    obv = compute_indicators(bars, TINY)["obv"]
    assert obv.tolist() == [100.0, 300.0, 300.0, -100.0, 400.0]


def test_ema_matches_hand_computed_sma_seeded_series() -> None:
    # n = 2 → k = 2/3; seed = mean(10, 12) = 11; 11 + (11−11)·2/3 = 11; 11 + (13−11)·2/3 = 37/3
    ema = compute_indicators(bars_from_closes([10, 12, 11, 13]), TINY)["ema_fast"]
    np.testing.assert_allclose(ema.to_numpy(), [np.nan, 11.0, 11.0, 37 / 3], rtol=1e-15)


# -- documented differences from TA-Lib ----------------------------------------------------------


def test_flat_market_reads_neutral_50_where_talib_reads_0() -> None:
    bars = bars_from_closes([5.0] * 60, [10.0] * 60)
    ours = compute_indicators(bars, PARAMS).iloc[-1]
    c, v = bars["close"].to_numpy(), bars["volume"].to_numpy()
    theirs_rsi = talib.RSI(c, 14)[-1]
    theirs_mfi = talib.MFI(c, c, c, v, 14)[-1]
    theirs_k = talib.STOCH(c, c, c, 14, 3, MA_Type.SMA, 3, MA_Type.SMA)[0][-1]
    assert (theirs_rsi, theirs_mfi, theirs_k) == (0.0, 0.0, 0.0)
    assert (ours["rsi"], ours["mfi"], ours["stoch_k"], ours["stoch_d"]) == (50.0, 50.0, 50.0, 50.0)
    # Where 0 is already the neutral reading we agree with TA-Lib.
    assert ours["cci"] == talib.CCI(c, c, c, 20)[-1] == 0.0
    assert ours["adx"] == talib.ADX(c, c, c, 14)[-1] == 0.0
    assert ours["plus_di"] == ours["minus_di"] == 0.0
    assert ours["bb_lower"] == ours["bb_mid"] == ours["bb_upper"] == 5.0


def test_mfi_treats_typical_prices_equal_up_to_rounding_as_unchanged() -> None:
    # 158.56 + 155.88 + 156.88 = 157.90 + 155.94 + 157.48 = 471.32, but the float
    # typical prices differ by one ulp: no money flow, as in TA-Lib.
    h = np.array([158.0, 158.56, 157.90, *[158.0] * 14])
    low = np.array([155.0, 155.88, 155.94, *[155.0] * 14])
    c = np.array([156.0, 156.88, 157.48, *[156.0] * 14])
    assert (h[2] + low[2] + c[2]) / 3 != (h[1] + low[1] + c[1]) / 3
    v = np.arange(1.0, 18.0, dtype=np.float64)
    index = pd.date_range("2024-01-01", periods=17, freq="1h", tz="UTC")
    bars = pd.DataFrame({"open": c, "high": h, "low": low, "close": c, "volume": v}, index=index)
    ours = compute_indicators(bars, PARAMS)["mfi"].to_numpy()
    theirs = talib.MFI(h, low, c, v, 14)
    np.testing.assert_allclose(ours[14:], theirs[14:], rtol=1e-12)
    # window of bar 14 = bars 1..14: bar 1 rises (+flow), bar 2 ties (no flow, though its
    # float is one ulp higher), bar 3 falls (−flow), bars 4..14 are unchanged.
    tp = (h + low + c) / 3
    positive, negative = tp[1] * v[1], tp[3] * v[3]
    assert ours[14] == pytest.approx(100 * positive / (positive + negative), rel=1e-12)


def test_mfi_is_exactly_zero_once_the_last_up_bar_leaves_the_window() -> None:
    # A huge inflow, then only falling prices: once the inflow is out of the window the
    # positive flow is exactly 0 (window sums are recomputed, no running-sum residue).
    closes = [100.0, 101.0, *[100.0 - 0.5 * i for i in range(1, 40)]]
    volumes = [1.0, 1e12, *[1.0] * 39]
    mfi = compute_indicators(bars_from_closes(closes, volumes), PARAMS)["mfi"]
    assert mfi.iloc[-1] == 0.0
