"""Technical indicators of one bar frame, and the snapshot of their values at ``as_of``.

:func:`compute_indicators` returns, on the bars' index, exactly the columns in
:data:`INDICATOR_COLUMNS`. Each indicator is declared once, in
:data:`quorum.analysis.indicator_registry.REGISTRY`; the frame, the snapshot and the
warm-up are computed by iterating it. The definitions (and every place they differ from
TA-Lib or pandas-ta, and why) are in ``docs/indicators.md``; the arithmetic is
in :mod:`quorum.analysis._indicator_kernels`. Values are NaN only inside each
indicator's own lookback; values before :attr:`IndicatorParams.warmup_bars`
still carry the seed's influence and are not to be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quorum.analysis import _indicator_kernels as k
from quorum.analysis.indicator_registry import (
    CONVERGENCE,
    OHLCV,
    REGISTRY,
    Kernel,
    SnapshotValues,
    check_registry,
)
from quorum.analysis.volume_profile import VolumeProfile, volume_profile
from quorum.domain.analysis import IndicatorSnapshot
from quorum.domain.timeframe import Timeframe
from quorum.errors import DataQualityError, ValidationFailed

INDICATOR_COLUMNS: tuple[str, ...] = tuple(c for spec in REGISTRY for c in spec.columns)
"""The columns of :func:`compute_indicators`, in order: every spec's columns, in registry order."""

WARMUP_ATTR = "warmup_bars"
"""Key in ``DataFrame.attrs`` where :func:`compute_indicators` records the warm-up; the
parameters of the specs with a ``snapshot`` hook are recorded under their field names."""

__all__ = [
    "CONVERGENCE",
    "INDICATOR_COLUMNS",
    "WARMUP_ATTR",
    "IndicatorParams",
    "compute_indicators",
    "indicator_snapshot",
    "warm_up_kernels",
]


class IndicatorParams(BaseModel):
    """Indicator parameters (trader defaults; see ``docs/indicators.md``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    ema_fast: int = Field(default=9, ge=2, le=1_000)
    ema_slow: int = Field(default=21, ge=2, le=1_000)
    rsi_length: int = Field(default=14, ge=2, le=1_000)
    macd_fast: int = Field(default=12, ge=2, le=1_000)
    macd_slow: int = Field(default=26, ge=2, le=1_000)
    macd_signal: int = Field(default=9, ge=2, le=1_000)
    bb_length: int = Field(default=20, ge=2, le=1_000)
    bb_std: float = Field(default=2.0, gt=0.0, le=10.0, allow_inf_nan=False)
    atr_length: int = Field(default=14, ge=2, le=1_000)
    stoch_k: int = Field(default=14, ge=2, le=1_000)
    stoch_d: int = Field(default=3, ge=1, le=1_000)
    stoch_smooth_k: int = Field(default=3, ge=1, le=1_000)
    cci_length: int = Field(default=20, ge=2, le=1_000)
    mfi_length: int = Field(default=14, ge=2, le=1_000)
    adx_length: int = Field(default=14, ge=2, le=1_000)
    obv_window: int = Field(default=20, ge=1, le=1_000)
    vp_bins: int = Field(default=24, ge=2, le=1_000)
    vp_value_area: float = Field(default=0.70, gt=0.0, le=1.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.ema_fast >= self.ema_slow:
            raise ValueError(
                f"ema_fast: must be less than ema_slow (ema_fast={self.ema_fast}, "
                f"ema_slow={self.ema_slow})"
            )
        if self.macd_fast >= self.macd_slow:
            raise ValueError(
                f"macd_fast: must be less than macd_slow (macd_fast={self.macd_fast}, "
                f"macd_slow={self.macd_slow})"
            )
        return self

    @property
    def warmup_bars(self) -> int:
        """Bars needed before the value on the last bar is trusted.

        One more than the largest ``trusted_from`` of the registry's specs: for each
        indicator, the index where it is first defined plus, for the recursive
        smoothers, the steps until the seed's weight ``(1 + g·s)·r**s`` falls below
        :data:`CONVERGENCE` (``r`` = 1 − alpha of the slowest pole, ``g`` = alpha of a
        second smoother fed by the first, 0 for a single one).
        """
        return _warmup(_read_params(self))


_Picker = Callable[[Sequence[Any]], tuple[Any, ...]]


def _picker(indices: tuple[int, ...]) -> _Picker:
    """``seq -> tuple(seq[i] for i in indices)``, as one C call for two or more indices."""
    if len(indices) >= 2:
        return itemgetter(*indices)
    return lambda seq: tuple(seq[i] for i in indices)


class _Step(NamedTuple):
    """One spec, resolved once at import for the per-frame loop."""

    kernel: Kernel
    args: _Picker
    """Picks the kernel's arguments from ``inputs + values``: the OHLCV arrays, then the
    values of :data:`_PARAM_FIELDS`."""
    params: _Picker
    """Picks the spec's param values from the values of :data:`_PARAM_FIELDS`."""
    trusted_from: Callable[..., int]
    row: int
    """Row of the spec's first column in the frame's array."""
    width: int


class _Segment(NamedTuple):
    """A run of consecutive specs the snapshot reports as their columns, or one spec whose
    ``snapshot`` hook reports instead (``hook`` set, ``params`` picking its param values
    from the values of :data:`_SNAPSHOT_FIELDS`)."""

    names: tuple[str, ...]
    start: int
    stop: int
    hook: SnapshotValues | None
    params: _Picker


def _plan() -> tuple[_Step, ...]:
    check_registry(REGISTRY, frozenset(IndicatorParams.model_fields))
    plan = []
    row = 0
    for spec in REGISTRY:
        inputs = tuple(OHLCV.index(name) for name in spec.inputs)
        params = tuple(_PARAM_FIELDS.index(name) for name in spec.params)
        args = _picker(inputs + tuple(len(OHLCV) + i for i in params))
        width = len(spec.columns)
        plan.append(_Step(spec.kernel, args, _picker(params), spec.trusted_from, row, width))
        row += width
    return tuple(plan)


def _segments() -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    row = 0
    for spec in REGISTRY:
        stop = row + len(spec.columns)
        if spec.snapshot is not None:
            pick = _picker(tuple(_SNAPSHOT_FIELDS.index(name) for name in spec.params))
            segments.append(_Segment(spec.columns, row, stop, spec.snapshot, pick))
        elif segments and segments[-1].hook is None:
            last = segments[-1]
            segments[-1] = last._replace(names=last.names + spec.columns, stop=stop)
        else:
            segments.append(_Segment(spec.columns, row, stop, None, _picker(())))
        row = stop
    return tuple(segments)


_PARAM_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for s in REGISTRY for f in s.params))
"""Every IndicatorParams field some spec reads, each once, in registry order."""
_PLAN = _plan()
_SNAPSHOT_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f for s in REGISTRY if s.snapshot is not None for f in s.params)
)
"""The fields the snapshot hooks read: recorded in the frame's ``attrs``."""
_SEGMENTS = _segments()
_COLUMNS = pd.Index(INDICATOR_COLUMNS)
_read_values = attrgetter(*_PARAM_FIELDS)


def _read_params(params: IndicatorParams) -> tuple[Any, ...]:
    """The values of :data:`_PARAM_FIELDS` (one ``attrgetter`` call: this runs per frame)."""
    values = _read_values(params)
    return values if len(_PARAM_FIELDS) > 1 else (values,)


@lru_cache(maxsize=256)
def _warmup(values: tuple[Any, ...]) -> int:
    # A cached function of the values, not a cached_property: model_copy() would copy a
    # cached_property's stale value into the updated model.
    return 1 + max(step.trusted_from(*step.params(values)) for step in _PLAN)


def compute_indicators(bars: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Every indicator of :data:`INDICATOR_COLUMNS` for ``bars``, on the same index.

    ``bars`` has float columns ``open high low close volume`` (finite, low <=
    open/close <= high, volume >= 0) and a UTC DatetimeIndex; anything else is
    refused with a :class:`DataQualityError` naming the row. The result's
    ``attrs`` record ``warmup_bars`` and the parameters of the snapshot hooks
    (``obv_window``) for :func:`indicator_snapshot`.
    """
    inputs = _arrays(bars)
    values = _read_params(params)
    arguments = inputs + values
    out = np.empty((len(INDICATOR_COLUMNS), inputs[0].shape[0]))
    for kernel, args, _params, _trusted_from, row, width in _PLAN:
        result = kernel(*args(arguments))
        if width == 1:
            out[row] = result
        else:
            for offset, column in enumerate(result):
                out[row + offset] = column
    # a view of a prebuilt Index: pandas would convert a list on every frame (~12 µs)
    frame = pd.DataFrame(out.T, index=bars.index, columns=_COLUMNS.view(), copy=False)
    frame.attrs[WARMUP_ATTR] = _warmup(values)
    for name in _SNAPSHOT_FIELDS:
        frame.attrs[name] = getattr(params, name)
    return frame


def warm_up_kernels() -> None:
    """Load (or compile) every compiled kernel now, on a tiny synthetic frame.

    Call once when a worker process starts, so its first scan does not pay numba's
    start-up (about a second per process; several seconds more when the kernels
    are not in ``NUMBA_CACHE_DIR`` yet). Pure: it reads no clock and no data.
    """
    n = 64
    close = 100.0 + np.sin(np.arange(n, dtype=np.float64))
    index = pd.date_range("2000-01-01", periods=n, freq="1min", tz="UTC")
    bars = pd.DataFrame(
        {"open": close, "high": close + 1.0, "low": close - 1.0, "close": close, "volume": 1.0},
        index=index,
    )
    compute_indicators(bars, IndicatorParams())
    volume_profile(bars, bins=8, value_area=0.7)


_RULES = {
    k.BAD_VALUE: "a value is NaN or infinite",
    k.BAD_RANGE: "must have low <= open, close <= high",
    k.BAD_VOLUME: "volume must be >= 0",
}


def _arrays(bars: pd.DataFrame) -> tuple[k.FloatArray, ...]:
    """The OHLCV columns as contiguous float64 arrays, after the checks the kernels rely on."""
    missing = [c for c in OHLCV if c not in bars.columns]
    if missing:
        raise DataQualityError(f"bars: missing columns {missing}")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise DataQualityError("bars: index must be a UTC DatetimeIndex of bar open times")
    table: k.FloatArray
    if list(bars.columns) == list(OHLCV):
        table = bars.to_numpy(dtype=np.float64)  # one float block: a view, no copy
    else:
        table = np.column_stack([bars[c].to_numpy(dtype=np.float64) for c in OHLCV])
    values = np.ascontiguousarray(table.T)
    row, code = k.first_bad_row(values)
    if row >= 0:
        raise DataQualityError(f"bars row {row} ({index[row].isoformat()}): {_RULES[code]}")
    return tuple(values)


def indicator_snapshot(
    symbol: str,
    timeframe: Timeframe,
    bars: pd.DataFrame,
    indicators: pd.DataFrame,
    as_of: datetime,
    profile: VolumeProfile | None = None,
    *,
    params: IndicatorParams | None = None,
) -> IndicatorSnapshot:
    """Indicator values of the last bar closed at ``as_of`` (``open + timeframe <= as_of``).

    ``values`` holds, for each spec of the registry in order, its columns' values or
    what its ``snapshot`` hook reports instead (OBV: not its level, which depends on
    where the supplied history starts so replay and live would disagree, but
    ``obv_change``, its change over the last ``obv_window`` bars), then ``close``, and
    ``vp_poc``, ``vp_val``, ``vp_vah`` when a profile is given. The warm-up and the
    hooks' parameters come from ``params`` or, by default, from what
    :func:`compute_indicators` recorded in ``indicators.attrs``. Raises
    :class:`DataQualityError` naming the symbol and timeframe when fewer than
    ``warmup_bars`` closed bars are available.
    """
    if as_of.tzinfo is None:
        raise ValidationFailed("as_of", "must be timezone-aware (UTC)", as_of)
    if not indicators.index.equals(bars.index):
        raise ValidationFailed("indicators", "must be on the same index as bars")
    given: tuple[Any, ...]
    if params is not None:
        warmup = params.warmup_bars
        given = tuple(getattr(params, name) for name in _SNAPSHOT_FIELDS)
    elif WARMUP_ATTR in indicators.attrs and all(f in indicators.attrs for f in _SNAPSHOT_FIELDS):
        warmup = int(indicators.attrs[WARMUP_ATTR])
        given = tuple(indicators.attrs[name] for name in _SNAPSHOT_FIELDS)
    else:
        raise ValidationFailed(
            "params", "required when indicators do not come straight from compute_indicators"
        )
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(seconds=timeframe.seconds)
    closed = int(bars.index.searchsorted(cutoff, side="right"))
    if closed < warmup:
        raise DataQualityError(
            f"{symbol} {timeframe}: {closed} closed bars at {as_of.isoformat()}, "
            f"indicators need at least {warmup} (warm-up)"
        )
    row = closed - 1
    table = _columns(indicators, INDICATOR_COLUMNS)
    at: list[float] = table[row].tolist()
    values: dict[str, float] = {}
    for names, start, stop, hook, pick in _SEGMENTS:  # the registry's specs, in order
        if hook is None:
            values.update(zip(names, at[start:stop], strict=True))
        else:
            values.update(hook(table[:, start:stop].T, row, *pick(given)))
    values["close"] = float(bars["close"].to_numpy(dtype=np.float64)[row])
    if profile is not None:
        values.update(vp_poc=profile.poc, vp_val=profile.val, vp_vah=profile.vah)
    bad = sorted(name for name, value in values.items() if not math.isfinite(value))
    if bad:
        raise DataQualityError(
            f"{symbol} {timeframe}: indicator values {bad} are not finite at "
            f"{bars.index[row].isoformat()}"
        )
    return IndicatorSnapshot(
        symbol=symbol,
        timeframe=timeframe,
        as_of=as_of,
        bar_open=bars.index[row].to_pydatetime(),
        values=values,
    )


def _columns(frame: pd.DataFrame, names: tuple[str, ...]) -> k.FloatArray:
    """``frame[names]`` as a float64 array, without a copy when the frame is one float block."""
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValidationFailed("indicators", f"missing columns {missing}")
    if tuple(frame.columns) == names:
        table: k.FloatArray = frame.to_numpy(dtype=np.float64)
        return table
    return frame.loc[:, list(names)].to_numpy(dtype=np.float64)
