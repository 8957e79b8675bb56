"""The indicator registry: one spec per indicator drives the frame, the snapshot and the warm-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from quorum.analysis.indicator_registry import OHLCV, REGISTRY, IndicatorSpec, check_registry
from quorum.analysis.indicators import (
    INDICATOR_COLUMNS,
    IndicatorParams,
    compute_indicators,
    indicator_snapshot,
)
from quorum.domain.timeframe import Timeframe

FIELDS = frozenset(IndicatorParams.model_fields)
PARAMS = IndicatorParams(ema_fast=5, ema_slow=30, macd_signal=4, stoch_smooth_k=1, obv_window=9)


def bars_of(n: int, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = np.round(80.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n))), 2)
    index = pd.date_range("2024-06-01", periods=n, freq="1h", tz="UTC", name="ts")
    return pd.DataFrame(
        {
            "open": close,
            "high": close + 0.05,
            "low": close - 0.05,
            "close": close,
            "volume": rng.random(n) * 5,
        },
        index=index,
    )


def test_the_frame_columns_are_the_registry_columns_in_registry_order() -> None:
    assert tuple(c for spec in REGISTRY for c in spec.columns) == INDICATOR_COLUMNS
    assert len(set(INDICATOR_COLUMNS)) == len(INDICATOR_COLUMNS)
    check_registry(REGISTRY, FIELDS)


@pytest.mark.parametrize("spec", REGISTRY, ids=[s.name for s in REGISTRY])
def test_each_column_is_its_spec_kernel_on_its_inputs_and_params(spec: IndicatorSpec) -> None:
    bars = bars_of(400)
    frame = compute_indicators(bars, PARAMS)
    inputs = [bars[name].to_numpy(dtype=np.float64) for name in spec.inputs]
    result = spec.kernel(*inputs, *(getattr(PARAMS, name) for name in spec.params))
    columns = result if isinstance(result, tuple) else (result,)
    assert len(columns) == len(spec.columns)
    for name, column in zip(spec.columns, columns, strict=True):
        np.testing.assert_array_equal(frame[name].to_numpy(), column, err_msg=name)


def test_warmup_is_one_more_than_the_latest_trusted_row_of_any_spec() -> None:
    for params in (IndicatorParams(), PARAMS, IndicatorParams(bb_length=700)):
        rows = {s.name: s.trusted_from(*(getattr(params, f) for f in s.params)) for s in REGISTRY}
        assert params.warmup_bars == max(rows.values()) + 1, rows


def test_snapshot_reports_each_spec_s_columns_or_what_its_hook_reports() -> None:
    bars = bars_of(400)
    frame = compute_indicators(bars, PARAMS)
    as_of = bars.index[-1].to_pydatetime() + timedelta(hours=1)
    snap = indicator_snapshot("BTC/USDT", Timeframe.H1, bars, frame, as_of)
    expected: list[str] = []
    for spec in REGISTRY:
        if spec.snapshot is None:
            expected.extend(spec.columns)
            assert all(snap.values[c] == frame[c].iloc[-1] for c in spec.columns)
        else:
            columns = frame[list(spec.columns)].to_numpy().T
            hook = spec.snapshot(
                columns, len(frame) - 1, *(getattr(PARAMS, f) for f in spec.params)
            )
            expected.extend(hook)
            assert all(snap.values[name] == value for name, value in hook.items())
    assert list(snap.values) == [*expected, "close"]
    # the hooks' params travel in the frame's attrs
    assert frame.attrs["obv_window"] == 9


def _spec(**changes: object) -> IndicatorSpec:
    return replace(REGISTRY[2], **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (_spec(), r"indicator 'rsi': declared twice"),
        (_spec(name="rsi2"), r"indicator 'rsi2': columns \['rsi'\] are already declared"),
        (_spec(name="x", columns=("x", "x")), r"indicator 'x': columns \['x'\]"),
        (_spec(name="x", columns=()), "indicator 'x': declares no column"),
        (_spec(name="x", columns=("x",), params=("x_len",)), r"params \['x_len'\] are not"),
        (_spec(name="x", columns=("x",), inputs=("vwap",)), r"inputs \['vwap'\] are not OHLCV"),
    ],
)
def test_a_registry_with_a_repeated_or_unknown_declaration_is_refused_naming_the_spec(
    extra: IndicatorSpec, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_registry((*REGISTRY, extra), FIELDS)


def test_inputs_are_the_ohlcv_columns() -> None:
    assert OHLCV == ("open", "high", "low", "close", "volume")
    assert all(set(spec.inputs) <= set(OHLCV) for spec in REGISTRY)
