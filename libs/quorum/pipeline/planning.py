"""Which scans are due: a pure function of the time, the settings and the scan marks.

A (symbol, timeframe) bar is due once it closed and the finalization delay passed
(``bar_close = timeframe.floor(now - delay)``) and it was not scanned yet. Each symbol has
a check interval between ``min_check_interval_s`` (15 min) and ``max_check_interval_s``
(4 h) that shrinks as its volatility rises: a timeframe at least as long as the interval
is scanned at every bar close, a shorter one only when the interval has passed since its
last scan. Volatility is the base-bar ATR / close the last scans measured; a symbol with
no measurement yet is checked at the shortest interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from quorum.domain import Timeframe
from quorum.pipeline.settings import PipelineSettings

Marks = Mapping[tuple[str, str], tuple[datetime, float | None]]
"""``(symbol, timeframe) -> (last scanned bar close, base-normalised volatility)``."""


@dataclass(frozen=True, slots=True)
class DueScan:
    symbol: str
    timeframe: Timeframe
    bar_close: datetime


def base_volatility(atr_over_close: float, timeframe: Timeframe, base: Timeframe) -> float:
    """A timeframe's ATR / close scaled to the base timeframe (square-root-of-time rule)."""
    return atr_over_close / math.sqrt(timeframe.seconds / base.seconds)


def check_interval(volatility: float | None, settings: PipelineSettings) -> timedelta:
    """``min_interval × reference / volatility`` clamped to [min, max], on the base grid."""
    low, high = settings.min_check_interval_s, settings.max_check_interval_s
    if volatility is None or volatility <= 0 or not math.isfinite(volatility):
        seconds = low
    else:
        seconds = min(high, max(low, low * settings.reference_volatility / volatility))
    step = settings.base_timeframe.seconds
    seconds = max(low, (seconds // step) * step)
    return timedelta(seconds=seconds)


def symbol_volatility(symbol: str, marks: Marks, settings: PipelineSettings) -> float | None:
    """The measurement of the shortest timeframe scanned for ``symbol``."""
    for tf in sorted(settings.frames, key=lambda t: t.seconds):
        mark = marks.get((symbol, tf.value))
        if mark is not None and mark[1] is not None:
            return mark[1]
    return None


def due_scans(now: datetime, settings: PipelineSettings, marks: Marks) -> list[DueScan]:
    """The scans due at ``now``, per symbol in settings order, shortest timeframe first."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now: must be timezone-aware (got {now.isoformat()})")
    settled = now - timedelta(seconds=settings.finalization_delay_s)
    due: list[DueScan] = []
    for symbol in settings.symbols:
        interval = check_interval(symbol_volatility(symbol, marks, settings), settings)
        for tf in sorted(settings.frames, key=lambda t: t.seconds):
            close = tf.floor(settled)
            mark = marks.get((symbol, tf.value))
            last = None if mark is None else mark[0]
            if last is not None and close <= last:
                continue
            if tf.delta >= interval or last is None or close - last >= interval:
                due.append(DueScan(symbol, tf, close))
    return due
