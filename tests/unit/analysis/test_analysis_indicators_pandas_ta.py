"""pandas-ta 0.4.71b0 as a second reference, and the defects that keep it out of our hot path.

Production has no TA-Lib (it is a dev dependency), so pandas-ta runs its own
code there. pandas-ta silently delegates to TA-Lib when TA-Lib is importable
(``talib=True`` is its default) and some of its indicators call others without
forwarding ``talib=False`` (ADX → ATR), so these tests switch its TA-Lib
detection off to exercise exactly what production would run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas_ta as ta
import pytest
import talib
from pandas_ta.maps import Imports
from tests.unit.analysis.indicators_kit import random_walk_bars

from quorum.analysis.indicators import IndicatorParams, compute_indicators

PARAMS = IndicatorParams()
TOLERANCE = 1e-6


@pytest.fixture
def without_talib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(Imports, "talib", False)


@pytest.fixture(scope="module")
def walk() -> tuple[pd.DataFrame, pd.DataFrame]:
    bars = random_walk_bars(2_500, seed=7)
    return bars, compute_indicators(bars, PARAMS)


Walk = tuple[pd.DataFrame, pd.DataFrame]


def _after_warmup(values: pd.Series | np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(values, dtype=np.float64)[PARAMS.warmup_bars - 1 :]


@pytest.mark.usefixtures("without_talib")
def test_pandas_ta_own_code_agrees_with_us_where_its_definition_is_correct(walk: Walk) -> None:
    bars, ours = walk
    h, low, c = bars["high"], bars["low"], bars["close"]
    p = PARAMS
    macd = ta.macd(c, p.macd_fast, p.macd_slow, p.macd_signal, talib=False)
    bb = ta.bbands(c, p.bb_length, p.bb_std, p.bb_std, ddof=0, talib=False)
    stoch = ta.stoch(h, low, c, p.stoch_k, p.stoch_d, p.stoch_smooth_k, talib=False)
    adx = ta.adx(h, low, c, p.adx_length, talib=False)
    theirs = {
        "ema_fast": ta.ema(c, p.ema_fast, talib=False),
        "ema_slow": ta.ema(c, p.ema_slow, talib=False),
        "rsi": ta.rsi(c, p.rsi_length, talib=False),
        "macd": macd.iloc[:, 0],
        "macd_hist": macd.iloc[:, 1],
        "macd_signal": macd.iloc[:, 2],
        "bb_lower": bb.iloc[:, 0],
        "bb_mid": bb.iloc[:, 1],
        "bb_upper": bb.iloc[:, 2],
        "atr": ta.atr(h, low, c, p.atr_length, talib=False),
        "stoch_k": stoch.iloc[:, 0],
        "stoch_d": stoch.iloc[:, 1],
        "adx": adx.iloc[:, 0],
        "plus_di": adx.iloc[:, 2],
        "minus_di": adx.iloc[:, 3],
    }
    for column, values in theirs.items():
        np.testing.assert_allclose(
            _after_warmup(ours[column]),
            _after_warmup(values),
            rtol=TOLERANCE,
            atol=TOLERANCE,
            err_msg=column,
        )


@pytest.mark.usefixtures("without_talib")
def test_pandas_ta_cci_lacks_parentheses_and_ours_matches_talib(walk: Walk) -> None:
    bars, ours = walk
    h, low, c = bars["high"], bars["low"], bars["close"]
    theirs = ta.cci(h, low, c, PARAMS.cci_length, talib=False).to_numpy()
    # pandas-ta computes tp − mean / (0.015 · mad) instead of (tp − mean) / (0.015 · mad)
    tp = (h + low + c) / 3
    mean = tp.rolling(PARAMS.cci_length).mean()
    mad = tp.rolling(PARAMS.cci_length).apply(lambda w: np.abs(w - w.mean()).mean(), raw=True)
    np.testing.assert_allclose(
        _after_warmup(theirs), _after_warmup(tp - mean / (0.015 * mad)), rtol=1e-9
    )
    reference = talib.CCI(h.to_numpy(), low.to_numpy(), c.to_numpy(), PARAMS.cci_length)
    assert np.nanmax(np.abs(_after_warmup(theirs) - _after_warmup(reference))) > 1_000
    np.testing.assert_allclose(
        _after_warmup(ours["cci"]), _after_warmup(reference), rtol=TOLERANCE, atol=TOLERANCE
    )


@pytest.mark.usefixtures("without_talib")
def test_pandas_ta_default_bollinger_uses_sample_std_so_bands_are_wider(walk: Walk) -> None:
    bars, ours = walk
    n = PARAMS.bb_length
    default = ta.bbands(bars["close"], n, PARAMS.bb_std, PARAMS.bb_std, talib=False)
    theirs_width = _after_warmup(default.iloc[:, 2] - default.iloc[:, 1])
    ours_width = _after_warmup(ours["bb_upper"] - ours["bb_mid"])
    np.testing.assert_allclose(theirs_width / ours_width, np.sqrt(n / (n - 1)), rtol=1e-9)
    c = bars["close"].to_numpy()
    upper, _, _ = talib.BBANDS(c, n, PARAMS.bb_std, PARAMS.bb_std)
    np.testing.assert_allclose(_after_warmup(ours["bb_upper"]), _after_warmup(upper), rtol=1e-9)


def tied_typical_price_bars() -> pd.DataFrame:
    """Bars whose typical price often repeats exactly (prices alternate on a coarse grid)."""
    rng = np.random.default_rng(3)
    n = 400
    close = 100.0 + rng.integers(-2, 3, n).cumsum() * 0.5
    high = close + 0.5
    low = close - 0.5
    index = pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC")
    volume = rng.lognormal(5.0, 0.5, n)
    return pd.DataFrame(
        {"open": close, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


@pytest.mark.usefixtures("without_talib")
def test_pandas_ta_mfi_counts_an_unchanged_typical_price_as_outflow_we_count_neither() -> None:
    bars = tied_typical_price_bars()
    h, low, c, v = (bars[k] for k in ("high", "low", "close", "volume"))
    assert (np.diff(((h + low + c) / 3).to_numpy()) == 0).sum() > 50
    ours = compute_indicators(bars, PARAMS)["mfi"].to_numpy()
    reference = talib.MFI(h.to_numpy(), low.to_numpy(), c.to_numpy(), v.to_numpy(), 14)
    theirs = ta.mfi(h, low, c, v, 14, talib=False).to_numpy()
    np.testing.assert_allclose(ours[14:], reference[14:], rtol=1e-9, atol=1e-9)
    assert np.nanmax(np.abs(theirs[15:] - reference[15:])) > 5.0


@pytest.mark.usefixtures("without_talib")
def test_pandas_ta_obv_drops_the_first_bar_volume_we_start_from_it(walk: Walk) -> None:
    bars, ours = walk
    theirs = ta.obv(bars["close"], bars["volume"], talib=False).to_numpy()
    first_volume = float(bars["volume"].iloc[0])
    assert np.isnan(theirs[0])
    np.testing.assert_allclose(theirs[1:] + first_volume, ours["obv"].to_numpy()[1:], rtol=1e-12)
    reference = talib.OBV(bars["close"].to_numpy(), bars["volume"].to_numpy())
    np.testing.assert_array_equal(ours["obv"].to_numpy(), reference)


def test_pandas_ta_silently_delegates_to_talib_unless_told_not_to(walk: Walk) -> None:
    bars, _ = walk
    h, low, c = bars["high"], bars["low"], bars["close"]
    assert Imports["talib"], "TA-Lib (a dev dependency) must be importable in the test environment"
    reference = talib.CCI(h.to_numpy(), low.to_numpy(), c.to_numpy(), 20)
    delegated = ta.cci(h, low, c, 20).to_numpy()  # talib defaults to True
    np.testing.assert_array_equal(delegated, reference)
    own = ta.cci(h, low, c, 20, talib=False).to_numpy()
    assert not np.allclose(own[19:], reference[19:])
