"""Timeframe alignment: higher timeframes are built from the base timeframe.

Boundaries are exchange-standard: buckets are aligned to the UTC epoch, so 4h
bars open at 00/04/08/12/16/20 UTC and daily bars at 00:00 UTC. Aggregation is
open=first, high=max, low=min, close=last, volume=sum.

Only closed bars are ever used: a higher bar is visible at ``as_of`` only when
its close is at or before ``as_of``, and it is built only from base bars that
closed by then. A higher bar is built from the base bars it has; base bars
missing inside it (gaps) do not hide it but are counted in the
:class:`ResampleReport`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from quorum.domain import BAR_COLUMNS, BarFrame, Timeframe
from quorum.domain.codecs import ensure_utc
from quorum.errors import ValidationFailed
from quorum.market.source import Floats, Ints, index_ns

__all__ = [
    "IncompleteBar",
    "ResampleReport",
    "aggregate_arrays",
    "aggregate_ohlcv",
    "align_timeframes",
    "check_resample",
    "resample",
    "resample_with_report",
]

_NS = 1_000_000_000


class IncompleteBar(BaseModel):
    """A higher bar built from fewer base bars than its span holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ts: datetime
    present: int = Field(ge=1)
    expected: int = Field(ge=2)


class ResampleReport(BaseModel):
    """How a higher timeframe was built: bar count and bars with base bars missing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    source_timeframe: Timeframe
    target: Timeframe
    as_of: datetime
    bars: int = Field(ge=0)
    incomplete: tuple[IncompleteBar, ...] = ()


def check_resample(base: Timeframe, target: Timeframe) -> int:
    """Return how many ``base`` bars make one ``target`` bar; refuse impossible pairs."""
    if target.seconds < base.seconds or target.seconds % base.seconds:
        raise ValidationFailed(
            "timeframe",
            f"cannot build {target} bars from {base} bars; expected a whole multiple of {base}",
            str(target),
        )
    return target.seconds // base.seconds


def aggregate_ohlcv(df: pd.DataFrame, target: Timeframe) -> tuple[pd.DataFrame, Ints]:
    """Aggregate a time-sorted OHLCV frame into epoch-aligned ``target`` buckets.

    Returns the aggregated frame (indexed by bucket open time, named ``ts``) and
    the number of input rows in each bucket. No closed-bar filtering happens here.
    """
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValidationFailed("index", "must be a DatetimeIndex of bar open times")
    columns = [df[c].to_numpy(dtype="float64") for c in BAR_COLUMNS]
    keys, values, counts = aggregate_arrays(index_ns(df.index), columns, target)
    out = pd.DataFrame(
        dict(zip(BAR_COLUMNS, values, strict=True)),
        index=pd.DatetimeIndex(keys, tz=UTC, name="ts"),
    )
    return out, counts


def aggregate_arrays(
    stamps: Ints, columns: Sequence[Floats], target: Timeframe
) -> tuple[Ints, list[Floats], Ints]:
    """Array form of :func:`aggregate_ohlcv`: ``stamps`` are int64 ns open times (sorted),
    ``columns`` are open, high, low, close, volume. Returns bucket open times, the
    aggregated columns and the row count per bucket."""
    if stamps.size > 1 and (np.diff(stamps) <= 0).any():
        raise ValidationFailed("index", "must be strictly increasing to aggregate")
    step = target.seconds * _NS
    keys = stamps - stamps % step
    if keys.size == 0:
        empty = np.zeros(0, dtype="float64")
        return keys, [empty] * len(BAR_COLUMNS), np.zeros(0, dtype="int64")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    opens, highs, lows, closes, volumes = columns
    values = [
        opens[starts],
        np.maximum.reduceat(highs, starts),
        np.minimum.reduceat(lows, starts),
        closes[ends - 1],
        np.add.reduceat(volumes, starts),
    ]
    return keys[starts], values, ends - starts


def resample_with_report(
    frame: BarFrame, target: Timeframe, as_of: datetime
) -> tuple[BarFrame, ResampleReport]:
    """Build closed ``target`` bars from ``frame`` as seen at ``as_of``, with a report."""
    as_of = ensure_utc(as_of, "as_of")
    per_bar = check_resample(frame.timeframe, target)
    visible = frame.closed_at(as_of)
    if per_bar == 1:
        return visible, ResampleReport(
            symbol=frame.symbol,
            source_timeframe=frame.timeframe,
            target=target,
            as_of=as_of,
            bars=len(visible),
        )
    out, counts = aggregate_ohlcv(visible.df, target)
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(seconds=target.seconds)
    done = np.asarray(out.index <= cutoff)
    out, counts = out.loc[done], counts[done]
    short = np.flatnonzero(counts < per_bar)
    incomplete = tuple(
        IncompleteBar(ts=out.index[i].to_pydatetime(), present=int(counts[i]), expected=per_bar)
        for i in short
    )
    report = ResampleReport(
        symbol=frame.symbol,
        source_timeframe=frame.timeframe,
        target=target,
        as_of=as_of,
        bars=len(out),
        incomplete=incomplete,
    )
    return BarFrame(frame.symbol, target, out), report


def resample(frame: BarFrame, target: Timeframe, as_of: datetime) -> BarFrame:
    """Closed ``target`` bars built from ``frame`` as seen at ``as_of`` (no look-ahead)."""
    return resample_with_report(frame, target, as_of)[0]


def align_timeframes(
    base: BarFrame, targets: Sequence[Timeframe], as_of: datetime
) -> dict[Timeframe, BarFrame]:
    """Every requested timeframe built from ``base`` at ``as_of`` (base itself if requested)."""
    return {target: resample(base, target, as_of) for target in dict.fromkeys(targets)}
