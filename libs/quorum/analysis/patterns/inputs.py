"""Validated numpy views of the bar and indicator frames every detector reads.

Detectors never touch pandas in their hot path: the frames are checked once
(columns, UTC index, indicators aligned with the bars) and turned into float64
arrays. Everything here sees only the rows it is given — the caller has already
cut the frames at ``as_of``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from quorum.domain.market import BAR_COLUMNS
from quorum.domain.timeframe import Timeframe
from quorum.errors import ValidationFailed

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class PatternInput:
    """The bars as arrays, the indicator frame, and the identity of the series."""

    __slots__ = (
        "_cache",
        "_ind",
        "close",
        "high",
        "low",
        "n",
        "open",
        "symbol",
        "timeframe",
        "ts_ns",
        "volume",
    )

    def __init__(
        self, symbol: str, timeframe: Timeframe, bars: pd.DataFrame, ind: pd.DataFrame
    ) -> None:
        check_bars(bars)
        check_aligned(bars, ind)
        self.symbol = symbol
        self.timeframe = timeframe
        self.n = len(bars)
        self.ts_ns: IntArray = bar_times_ns(bars)
        self.open, self.high, self.low, self.close, self.volume = columns(bars, BAR_COLUMNS, "bars")
        self._ind = ind
        self._cache: dict[str, FloatArray] = {}

    def indicator(self, name: str) -> FloatArray:
        """The indicator column ``name`` as float64 (NaN during warm-up)."""
        values = self._cache.get(name)
        if values is None:
            (values,) = columns(self._ind, (name,), "ind")
            self._cache[name] = values
        return values

    def time(self, i: int) -> datetime:
        """Open time (UTC) of bar ``i``."""
        return bar_time(self.ts_ns, i)

    def times(self, positions: Iterable[int | np.integer[Any]]) -> tuple[datetime, ...]:
        """Open times of the bars at ``positions``, in time order, without repeats."""
        return tuple(bar_time(self.ts_ns, i) for i in sorted({int(p) for p in positions}))


def check_bars(bars: pd.DataFrame) -> None:
    missing = [c for c in BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValidationFailed("bars", f"missing columns {missing}; expected {list(BAR_COLUMNS)}")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or str(index.tz) != "UTC":
        raise ValidationFailed("bars", "index must be a UTC DatetimeIndex of bar open times")


def check_aligned(bars: pd.DataFrame, ind: pd.DataFrame) -> None:
    """Indicators must sit on exactly the bars' index (same rows, nothing after as_of)."""
    if not ind.index.equals(bars.index):
        raise ValidationFailed(
            "ind",
            f"must be indexed like bars ({len(bars)} rows ending "
            f"{bars.index[-1] if len(bars) else 'nowhere'}); got {len(ind)} rows",
        )


def column(frame: pd.DataFrame, name: str, owner: str) -> FloatArray:
    """One column of ``frame`` as a read-only float64 array."""
    if name not in frame.columns:
        raise ValidationFailed(owner, f"missing column {name!r}")
    # A read-only *view*: flagging pandas' own array would freeze the caller's frame.
    values = np.asarray(frame[name].to_numpy(dtype=np.float64), dtype=np.float64).view()
    values.flags.writeable = False
    return values


def columns(frame: pd.DataFrame, names: tuple[str, ...], owner: str) -> list[FloatArray]:
    """Several columns of ``frame`` as read-only float64 arrays.

    A frame of float columns converts in one step (a view of its block), which
    is ten times cheaper than column by column; anything else falls back to
    :func:`column`. The arrays may share memory with ``frame``: never write them.
    """
    index = frame.columns
    for name in names:
        if name not in index:
            raise ValidationFailed(owner, f"missing column {name!r}")
    locations = [index.get_loc(name) for name in names]
    if not all(isinstance(loc, int) for loc in locations):
        return [column(frame, name, owner) for name in names]  # duplicated column names
    try:
        values = frame.to_numpy(dtype=np.float64).view()
    except (TypeError, ValueError):
        return [column(frame, name, owner) for name in names]
    values.flags.writeable = False
    return [values[:, cast(int, loc)] for loc in locations]


def bar_times_ns(bars: pd.DataFrame) -> IntArray:
    stamps = np.asarray(cast(pd.DatetimeIndex, bars.index).values)
    if stamps.dtype != np.dtype("datetime64[ns]"):
        stamps = stamps.astype("datetime64[ns]")
    return stamps.view(np.int64)


def bar_time(ts_ns: IntArray, i: int) -> datetime:
    return _EPOCH + timedelta(microseconds=int(ts_ns[i]) // 1_000)


def to_price(value: float) -> Decimal:
    """A float price as a Decimal with 12 significant digits (no binary noise)."""
    return Decimal(format(float(value), ".12g"))


def clip01(value: float) -> float:
    """``value`` clipped to [0, 1]; NaN becomes 0."""
    if not value > 0.0:
        return 0.0
    return 1.0 if value > 1.0 else float(value)
