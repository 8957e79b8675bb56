"""compute_indicators: the frame contract and the input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quorum.analysis.indicators import (
    INDICATOR_COLUMNS,
    IndicatorParams,
    compute_indicators,
)
from quorum.errors import DataQualityError

PARAMS = IndicatorParams()


def bars_of(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    high = close * 1.004
    low = close * 0.996
    index = pd.date_range("2024-03-01", periods=n, freq="15min", tz="UTC", name="ts")
    return pd.DataFrame(
        {"open": close, "high": high, "low": low, "close": close, "volume": rng.random(n) * 10},
        index=index,
    )


def test_output_has_exactly_the_contract_columns_in_order_on_the_same_index() -> None:
    bars = bars_of(600)
    out = compute_indicators(bars, PARAMS)
    assert list(out.columns) == list(INDICATOR_COLUMNS)
    assert len(INDICATOR_COLUMNS) == 18
    assert out.index.equals(bars.index)
    assert all(dtype == np.float64 for dtype in out.dtypes)


def test_every_column_is_finite_from_the_warmup_on() -> None:
    out = compute_indicators(bars_of(600), PARAMS)
    assert np.isfinite(out.iloc[PARAMS.warmup_bars - 1 :].to_numpy()).all()


def test_result_records_warmup_and_obv_window_for_the_snapshot() -> None:
    params = IndicatorParams(obv_window=7)
    out = compute_indicators(bars_of(50), params)
    assert out.attrs == {"warmup_bars": params.warmup_bars, "obv_window": 7}


def test_column_order_and_extra_columns_of_the_input_do_not_matter() -> None:
    bars = bars_of(300)
    shuffled = bars[["volume", "close", "low", "high", "open"]].assign(note=1.0)
    pd.testing.assert_frame_equal(
        compute_indicators(shuffled, PARAMS), compute_indicators(bars, PARAMS)
    )


@pytest.mark.parametrize("n", [0, 1, 2, 13, 30])
def test_frames_shorter_than_the_lookbacks_give_nan_not_errors(n: int) -> None:
    out = compute_indicators(bars_of(n), PARAMS)
    assert out.shape == (n, len(INDICATOR_COLUMNS))
    if n:
        assert out["obv"].notna().all()
        assert out["rsi"].iloc[: PARAMS.rsi_length].isna().all()


def test_input_is_not_modified() -> None:
    bars = bars_of(200)
    before = bars.copy()
    compute_indicators(bars, PARAMS)
    pd.testing.assert_frame_equal(bars, before)


def test_missing_column_is_refused_naming_it() -> None:
    with pytest.raises(DataQualityError, match="volume"):
        compute_indicators(bars_of(10).drop(columns="volume"), PARAMS)


def test_naive_or_non_utc_index_is_refused() -> None:
    bars = bars_of(10)
    with pytest.raises(DataQualityError, match="UTC"):
        compute_indicators(bars.tz_localize(None), PARAMS)
    with pytest.raises(DataQualityError, match="UTC"):
        compute_indicators(bars.tz_convert("Europe/Berlin"), PARAMS)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("close", np.nan, "NaN or infinite"),
        ("volume", np.inf, "NaN or infinite"),
        ("high", 1.0, "low <= open, close <= high"),
        ("low", 1e6, "low <= open, close <= high"),
        ("volume", -1.0, "volume must be >= 0"),
    ],
)
def test_bad_rows_are_refused_naming_the_row_and_rule(column: str, value: float, rule: str) -> None:
    bars = bars_of(20)
    bars.loc[bars.index[7], column] = value
    with pytest.raises(DataQualityError, match=rf"row 7 \(2024-03-01T01:45:00\+00:00\): .*{rule}"):
        compute_indicators(bars, PARAMS)


def test_integer_columns_are_read_as_float64() -> None:
    bars = bars_of(100)
    as_int = bars.assign(volume=bars["volume"].round().astype("int64"))
    out = compute_indicators(as_int, PARAMS)
    assert out["obv"].iloc[0] == float(as_int["volume"].iloc[0])
