"""What a bar file's timestamps mean: the timeframe they are spaced by, and whether each
marks the bar's open or its close.

:func:`conform_bars` is applied to every file read with a declared timeframe
(``read_bar_file``, hence ``quorum data``, ``csv:PATH`` / ``parquet:PATH`` sources of
``quorum run`` / ``quorum backtest`` / ``quorum scan``), before the quality gates:

* **Timeframe.** The most common spacing of the (unique, sorted) timestamps must be the
  declared timeframe; an hourly file declared 15m or a daily file declared 1h is refused,
  both named. A file with fewer than two timestamps cannot be checked.
* **Convention** (``timestamps``: ``open``, the default, or ``close``). Detected under
  ``open``: every timestamp off the timeframe grid (daily bars at 23:59:59 or at a session
  close such as 21:00, hourly bars at hh:59:59), and daily bars that fall on Saturdays but
  never on a Monday (weekday sessions stamped at the midnight that closes them). Not
  detectable: intraday bar-close stamps on the grid (10:00 for the bar 09:00-10:00) look
  exactly like bar opens, so that convention must be declared. Under ``close`` a stamp is
  converted to its bar's open: intraday, the stamp is on the grid (open = stamp - step) or
  less than one second before it (hh:59:59, open = the grid point before); daily, the stamp
  is any time of the session's day or the midnight that ends it (open = 00:00 UTC of that
  day).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

from quorum.domain import Timeframe
from quorum.errors import DataQualityError
from quorum.market.source import SOURCE_ROW, Bools, Ints, index_ns

__all__ = ["TIMESTAMP_CONVENTIONS", "TimestampConvention", "conform_bars"]

TimestampConvention = Literal["open", "close"]
TIMESTAMP_CONVENTIONS: tuple[TimestampConvention, ...] = ("open", "close")
_NS = 1_000_000_000
_NAT = np.iinfo(np.int64).min
_SATURDAY, _MONDAY = 5, 0
_MIN_WEEKDAY_BARS = 5


def conform_bars(
    raw: pd.DataFrame, timeframe: Timeframe, timestamps: TimestampConvention = "open"
) -> pd.DataFrame:
    """``raw`` with bar open times as its index, after checking that its timestamps are
    spaced by ``timeframe`` and follow the ``timestamps`` convention (see the module)."""
    if timestamps not in TIMESTAMP_CONVENTIONS:
        raise DataQualityError(
            f"timestamps: {timestamps!r} is not a convention; expected open or close"
        )
    source = str(raw.attrs.get("source", "source"))
    index = pd.DatetimeIndex(raw.index).as_unit("ns")
    ns = index_ns(index)
    present = ~np.asarray(index.isna())
    _check_spacing(source, np.unique(ns[present]), timeframe)
    step = timeframe.seconds * _NS
    if timestamps == "open":
        _check_opens(source, ns[present], timeframe)
        return raw
    opens = _opens_of_closes(ns, present, step, timeframe, _locator(raw, source))
    out = raw.copy()
    out.index = pd.DatetimeIndex(np.where(present, opens, _NAT), tz="UTC", name=index.name)
    out.attrs.update(raw.attrs)
    return out


def _locator(raw: pd.DataFrame, source: str) -> Callable[[int], str]:
    kind = str(raw.attrs.get("row_kind", "row"))
    rows = raw[SOURCE_ROW].to_numpy() if SOURCE_ROW in raw.columns else None
    return lambda i: source if rows is None else f"{source} {kind} {int(rows[i])}"


def _check_spacing(source: str, ns: Ints, timeframe: Timeframe) -> None:
    if ns.size < 2:
        return
    steps, counts = np.unique(np.diff(ns), return_counts=True)
    top = int(np.argmax(counts))
    step = int(steps[top])
    if step == timeframe.seconds * _NS:
        return
    held = {tf.seconds * _NS: tf for tf in Timeframe}.get(step)
    apart = str(held) if held is not None else str(pd.Timedelta(step))
    hint = f", or declare the timeframe {held}" if held is not None else ""
    raise DataQualityError(
        f"{source}: timestamps are {apart} apart ({int(counts[top])} of {ns.size - 1} steps), "
        f"but the timeframe is declared {timeframe}; expected bars every {timeframe}{hint}"
    )


def _clock_time(ns: int) -> str:
    seconds, nanos = divmod(ns, _NS)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    text = f"{hour:02d}:{minute:02d}:{second:02d}"
    return text + (f".{nanos:09d}".rstrip("0") if nanos else "")


def _check_opens(source: str, ns: Ints, timeframe: Timeframe) -> None:
    if ns.size < 2:
        return
    offsets = ns % (timeframe.seconds * _NS)
    if (offsets != 0).all():
        first = pd.Timestamp(int(ns[0]), tz="UTC").isoformat()
        raise DataQualityError(
            f"{source}: every timestamp is off the {timeframe} grid (the first, {first}, is "
            f"{_clock_time(int(offsets[0]))} past it): they look like bar-close times; "
            f"expected bar open times on the {timeframe} grid counted from 00:00 UTC, or "
            "declare timestamps close"
        )
    if timeframe is Timeframe.D1 and ns.size >= _MIN_WEEKDAY_BARS:
        weekdays = np.asarray(pd.DatetimeIndex(ns, tz="UTC").weekday)
        saturdays = int((weekdays == _SATURDAY).sum())
        if saturdays and not (weekdays == _MONDAY).any():
            raise DataQualityError(
                f"{source}: {saturdays} daily bars fall on Saturdays and none on a Monday: the "
                "stamps look like bar-close times (midnight after each session); expected bar "
                "open times, or declare timestamps close"
            )


def _opens_of_closes(
    ns: Ints, present: Bools, step: int, timeframe: Timeframe, where: Callable[[int], str]
) -> Ints:
    if timeframe is Timeframe.D1:
        return ((ns - 1) // step) * step
    offsets = ns % step
    near = offsets >= step - _NS
    bad = np.flatnonzero(present & (offsets != 0) & ~near)
    if bad.size:
        i = int(bad[0])
        stamp = pd.Timestamp(int(ns[i]), tz="UTC").isoformat()
        raise DataQualityError(
            f"{where(i)}: timestamp {stamp} is not a bar close on the {timeframe} grid; "
            f"expected close times on the grid (or less than 1 s before it)"
        )
    return np.where(offsets == 0, ns - step, ns - offsets)
