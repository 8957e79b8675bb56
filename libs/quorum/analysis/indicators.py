"""Technical indicators of one bar frame, and the snapshot of their values at ``as_of``.

:func:`compute_indicators` returns, on the bars' index, exactly the columns in
:data:`INDICATOR_COLUMNS`. The definitions (and every place they differ from
TA-Lib or pandas-ta, and why) are in ``docs/indicators.md``; the arithmetic is
in :mod:`quorum.analysis._indicator_kernels`. Values are NaN only inside each
indicator's own lookback; values before :attr:`IndicatorParams.warmup_bars`
still carry the seed's influence and are not to be trusted.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache
from typing import Self

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from quorum.analysis import _indicator_kernels as k
from quorum.analysis.volume_profile import VolumeProfile, volume_profile
from quorum.domain.analysis import IndicatorSnapshot
from quorum.domain.timeframe import Timeframe
from quorum.errors import DataQualityError, ValidationFailed

INDICATOR_COLUMNS: tuple[str, ...] = (
    "ema_fast",
    "ema_slow",
    "rsi",
    "macd",
    "macd_signal",
    "macd_hist",
    "bb_lower",
    "bb_mid",
    "bb_upper",
    "atr",
    "stoch_k",
    "stoch_d",
    "cci",
    "mfi",
    "adx",
    "plus_di",
    "minus_di",
    "obv",
)
"""The columns of :func:`compute_indicators`, in order."""

CONVERGENCE = 1e-10
"""A recursive smoother is trusted once its seed's weight has decayed below this."""

WARMUP_ATTR = "warmup_bars"
OBV_WINDOW_ATTR = "obv_window"
"""Keys in ``DataFrame.attrs`` where :func:`compute_indicators` records what the snapshot needs."""

_OHLCV = ("open", "high", "low", "close", "volume")


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

        For each indicator: the index where it is first defined plus, for the
        recursive smoothers, the steps until the seed's weight ``(1 + g·s)·r**s``
        falls below :data:`CONVERGENCE` (``r`` = 1 − alpha of the slowest pole,
        ``g`` = alpha of a second smoother fed by the first, 0 for a single one).
        """
        return _warmup(
            self.ema_fast,
            self.ema_slow,
            self.rsi_length,
            self.macd_fast,
            self.macd_slow,
            self.macd_signal,
            self.bb_length,
            self.atr_length,
            self.stoch_k + self.stoch_smooth_k + self.stoch_d - 3,
            self.cci_length,
            self.mfi_length,
            self.adx_length,
            self.obv_window,
        )


@lru_cache(maxsize=256)
def _warmup(
    ema_fast: int,
    ema_slow: int,
    rsi: int,
    macd_fast: int,
    macd_slow: int,
    macd_signal: int,
    bb: int,
    atr: int,
    stoch_first: int,
    cci: int,
    mfi: int,
    adx: int,
    obv_window: int,
) -> int:
    # A cached function of the values, not a cached_property: model_copy() would copy a
    # cached_property's stale value into the updated model.
    macd_r = max(_ema_decay(macd_fast), _ema_decay(macd_slow), _ema_decay(macd_signal))
    first_trusted = (
        ema_fast - 1 + _settle(_ema_decay(ema_fast)),
        ema_slow - 1 + _settle(_ema_decay(ema_slow)),
        rsi + _settle(_wilder_decay(rsi)),
        macd_slow + macd_signal - 2 + _settle(macd_r, 2.0 / (macd_signal + 1)),
        bb - 1,
        atr + _settle(_wilder_decay(atr)),
        stoch_first,
        cci - 1,
        mfi,
        2 * adx - 1 + _settle(_wilder_decay(adx), 1.0 / adx),
        obv_window,
    )
    return max(first_trusted) + 1


def _ema_decay(length: int) -> float:
    return 1.0 - 2.0 / (length + 1)


def _wilder_decay(length: int) -> float:
    return 1.0 - 1.0 / length


def _settle(decay: float, gain: float = 0.0) -> int:
    """Smallest ``s`` with ``(1 + gain·s) · decay**s <= CONVERGENCE``."""
    steps = math.ceil(math.log(CONVERGENCE) / math.log(decay))
    while (1.0 + gain * steps) * decay**steps > CONVERGENCE:
        steps += 1
    return steps


def compute_indicators(bars: pd.DataFrame, params: IndicatorParams) -> pd.DataFrame:
    """Every indicator of :data:`INDICATOR_COLUMNS` for ``bars``, on the same index.

    ``bars`` has float columns ``open high low close volume`` (finite, low <=
    open/close <= high, volume >= 0) and a UTC DatetimeIndex; anything else is
    refused with a :class:`DataQualityError` naming the row. The result's
    ``attrs`` record ``warmup_bars`` and ``obv_window`` for :func:`indicator_snapshot`.
    """
    _open, high, low, close, volume = _arrays(bars)
    p = params
    out = np.empty((len(INDICATOR_COLUMNS), close.shape[0]))
    out[0] = k.ema(close, p.ema_fast, 0)
    out[1] = k.ema(close, p.ema_slow, 0)
    out[2] = k.rsi(close, p.rsi_length)
    out[3] = k.ema(close, p.macd_fast, 0) - k.ema(close, p.macd_slow, 0)
    out[4] = k.ema(out[3], p.macd_signal, p.macd_slow - 1)
    np.subtract(out[3], out[4], out=out[5])
    out[6], out[7], out[8] = k.bollinger(close, p.bb_length, p.bb_std)
    out[9] = k.atr(high, low, close, p.atr_length)
    out[10], out[11] = k.stochastic(high, low, close, p.stoch_k, p.stoch_smooth_k, p.stoch_d)
    out[12] = k.cci(high, low, close, p.cci_length)
    out[13] = k.mfi(high, low, close, volume, p.mfi_length)
    out[15], out[16], out[14] = k.dmi_adx(high, low, close, p.adx_length)
    out[17] = k.obv(close, volume)
    frame = pd.DataFrame(out.T, index=bars.index, columns=list(INDICATOR_COLUMNS), copy=False)
    frame.attrs[WARMUP_ATTR] = p.warmup_bars
    frame.attrs[OBV_WINDOW_ATTR] = p.obv_window
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
    missing = [c for c in _OHLCV if c not in bars.columns]
    if missing:
        raise DataQualityError(f"bars: missing columns {missing}")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise DataQualityError("bars: index must be a UTC DatetimeIndex of bar open times")
    table: k.FloatArray
    if list(bars.columns) == list(_OHLCV):
        table = bars.to_numpy(dtype=np.float64)  # one float block: a view, no copy
    else:
        table = np.column_stack([bars[c].to_numpy(dtype=np.float64) for c in _OHLCV])
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

    ``values`` holds ``close``, every column of :data:`INDICATOR_COLUMNS` except
    ``obv`` (its level depends on where the supplied history starts, so replay
    and live would disagree), ``obv_change`` — OBV's change over the last
    ``obv_window`` bars, which does not — and ``vp_poc``, ``vp_val``, ``vp_vah``
    when a profile is given. The warm-up and OBV window come from ``params`` or,
    by default, from what :func:`compute_indicators` recorded in
    ``indicators.attrs``. Raises :class:`DataQualityError` naming the symbol and
    timeframe when fewer than ``warmup_bars`` closed bars are available.
    """
    if as_of.tzinfo is None:
        raise ValidationFailed("as_of", "must be timezone-aware (UTC)", as_of)
    if not indicators.index.equals(bars.index):
        raise ValidationFailed("indicators", "must be on the same index as bars")
    if params is not None:
        warmup, obv_window = params.warmup_bars, params.obv_window
    elif WARMUP_ATTR in indicators.attrs and OBV_WINDOW_ATTR in indicators.attrs:
        warmup = int(indicators.attrs[WARMUP_ATTR])
        obv_window = int(indicators.attrs[OBV_WINDOW_ATTR])
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
    at = table[row]
    values = {name: float(v) for name, v in zip(INDICATOR_COLUMNS, at, strict=True)}
    obv = table[:, INDICATOR_COLUMNS.index("obv")]
    values["obv_change"] = float(obv[row] - obv[row - obv_window])
    del values["obv"]
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
