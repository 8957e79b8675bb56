"""Properties of the indicators and the volume profile on arbitrary valid bar frames."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quorum.analysis.indicators import INDICATOR_COLUMNS, IndicatorParams, compute_indicators
from quorum.analysis.volume_profile import volume_profile

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def bar_frames(draw: st.DrawFn, max_bars: int = 160) -> pd.DataFrame:
    """Valid OHLCV frames: random walks on a tick grid with flat stretches, gaps and zero volume."""
    n = draw(st.integers(min_value=1, max_value=max_bars))
    start = draw(st.sampled_from([1e-5, 0.5, 100.0, 60_000.0]))
    steps = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(-0.08, 0.08, allow_nan=False)),
            min_size=n,
            max_size=n,
        )
    )
    spreads = draw(
        st.lists(
            st.tuples(st.floats(0.0, 0.03), st.floats(0.0, 0.03), st.floats(0.0, 1.0)),
            min_size=n,
            max_size=n,
        )
    )
    volumes = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0.0, 1e6, allow_nan=False)),
            min_size=n,
            max_size=n,
        )
    )
    tick = start * 1e-4
    close = np.round(start * np.exp(np.cumsum(steps)) / tick) * tick
    close = np.maximum(close, tick)
    up = np.array([s[0] for s in spreads])
    down = np.array([s[1] for s in spreads])
    where = np.array([s[2] for s in spreads])
    high = np.round(close * (1 + up) / tick) * tick
    low = np.maximum(np.round(close * (1 - down) / tick) * tick, tick / 2)
    open_ = np.clip(low + where * (high - low), low, high)
    index = pd.date_range("2024-01-01", periods=n, freq="5min", tz="UTC")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volumes}, index=index
    )


@st.composite
def indicator_params(draw: st.DrawFn) -> IndicatorParams:
    length = st.integers(min_value=2, max_value=20)
    ema_fast, macd_fast = draw(length), draw(length)
    return IndicatorParams(
        ema_fast=ema_fast,
        ema_slow=ema_fast + draw(st.integers(1, 10)),
        rsi_length=draw(length),
        macd_fast=macd_fast,
        macd_slow=macd_fast + draw(st.integers(1, 10)),
        macd_signal=draw(length),
        bb_length=draw(length),
        bb_std=draw(st.floats(0.5, 3.0)),
        atr_length=draw(length),
        stoch_k=draw(length),
        stoch_d=draw(st.integers(1, 5)),
        stoch_smooth_k=draw(st.integers(1, 5)),
        cci_length=draw(length),
        mfi_length=draw(length),
        adx_length=draw(length),
    )


def _finite(values: pd.Series) -> npt.NDArray[np.float64]:
    array: npt.NDArray[np.float64] = values.to_numpy(dtype=np.float64)
    finite: npt.NDArray[np.float64] = array[np.isfinite(array)]
    return finite


@SETTINGS
@given(bars=bar_frames(), params=indicator_params())
def test_output_is_on_the_input_index_with_the_contract_columns(
    bars: pd.DataFrame, params: IndicatorParams
) -> None:
    out = compute_indicators(bars, params)
    assert out.index.equals(bars.index)
    assert list(out.columns) == list(INDICATOR_COLUMNS)


@SETTINGS
@given(bars=bar_frames(), params=indicator_params())
def test_bounded_oscillators_stay_within_0_and_100(
    bars: pd.DataFrame, params: IndicatorParams
) -> None:
    out = compute_indicators(bars, params)
    for column in ("rsi", "mfi", "stoch_k", "stoch_d", "adx", "plus_di", "minus_di"):
        values = _finite(out[column])
        assert ((values >= 0.0) & (values <= 100.0)).all(), column


@SETTINGS
@given(bars=bar_frames(), params=indicator_params())
def test_bands_are_ordered_and_atr_is_not_negative(
    bars: pd.DataFrame, params: IndicatorParams
) -> None:
    out = compute_indicators(bars, params)
    bands = out[["bb_lower", "bb_mid", "bb_upper"]].dropna().to_numpy()
    assert (bands[:, 0] <= bands[:, 1]).all()
    assert (bands[:, 1] <= bands[:, 2]).all()
    assert (_finite(out["atr"]) >= 0.0).all()


@SETTINGS
@given(bars=bar_frames(), params=indicator_params(), data=st.data())
def test_no_value_at_t_depends_on_bars_after_t(
    bars: pd.DataFrame, params: IndicatorParams, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(bars)))
    full = compute_indicators(bars, params)
    prefix = compute_indicators(bars.iloc[:cut], params)
    # bit for bit, NaN where NaN: the kernels read only bars 0..t for the value at t
    np.testing.assert_array_equal(prefix.to_numpy(), full.iloc[:cut].to_numpy())


@SETTINGS
@given(bars=bar_frames(), params=indicator_params())
def test_values_are_finite_once_every_lookback_is_filled(
    bars: pd.DataFrame, params: IndicatorParams
) -> None:
    out = compute_indicators(bars, params)
    assert np.isfinite(out.iloc[params.warmup_bars - 1 :].to_numpy()).all()


@SETTINGS
@given(
    bars=bar_frames(),
    bins=st.integers(min_value=1, max_value=60),
    value_area=st.floats(min_value=0.01, max_value=1.0),
)
def test_volume_profile_conserves_volume_and_orders_its_levels(
    bars: pd.DataFrame, bins: int, value_area: float
) -> None:
    vp = volume_profile(bars, bins=bins, value_area=value_area)
    total = float(bars["volume"].sum())
    assert len(vp.volumes) == bins
    assert len(vp.edges) == bins + 1
    assert min(vp.volumes) >= 0.0
    assert np.isclose(vp.total_volume, total, rtol=1e-9, atol=0.0)
    assert vp.val <= vp.poc <= vp.vah
    assert vp.edges[0] == float(bars["low"].min())
    assert vp.edges[-1] == float(bars["high"].max())
    spans = zip(vp.volumes, vp.edges[:-1], vp.edges[1:], strict=True)
    inside = [v for v, lo, hi in spans if vp.val <= lo and hi <= vp.vah]
    assert sum(inside) >= value_area * total * (1 - 1e-9)
