"""A seeded synthetic market: the offline default for ``make run`` and the tests.

``SyntheticSource(seed)`` implements :class:`~quorum.market.source.RawBarSource`.
The same ``(seed, symbol)`` always produces the same bars, and a window
produces the same bars however it is split across calls:
``fetch(a, c) == concat(fetch(a, b), fetch(b, c))``. Timeframes above the base
timeframe are generated at the base timeframe and aggregated with
:func:`quorum.market.align.aggregate_ohlcv`, so every timeframe agrees with a
resample of the base bars. The model is described in
:mod:`quorum.market.synthetic_model`.

Base bars are generated in epoch-anchored chunks of about 6,000 bars and the most
recent chunks are cached, so a replay that moves a window forward bar by bar does
not regenerate history. The generator produces bars for any open time, including ones that have not
closed yet: closing the window at the clock is the loader's job.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from quorum.domain import BAR_COLUMNS, RegimeKind, Timeframe, split_symbol
from quorum.errors import ValidationFailed
from quorum.market.align import aggregate_arrays, check_resample
from quorum.market.source import Floats, Ints, check_window, empty_raw_frame
from quorum.market.synthetic_model import (
    BAR_BLOCK,
    BAR_DRAWS,
    DAY_BLOCK,
    DAY_DRAWS,
    DayPath,
    Stream,
    SyntheticParams,
    day_path,
    generate_days,
)

__all__ = ["SyntheticParams", "SyntheticSource"]

_DAY_NS = 86_400 * 1_000_000_000
_LAST = datetime(2200, 1, 1, tzinfo=UTC)
_CHUNK_BARS = 6144  # base bars generated (and cached) together, epoch-anchored
_CACHED_CHUNKS = 256  # at most ~75 MB at 6,144 bars per chunk
_REGIMES = (RegimeKind.BULL, RegimeKind.BEAR, RegimeKind.SIDEWAYS)


def _ns(when: datetime) -> int:
    return pd.Timestamp(when).as_unit("ns").value


def _ceil(ns: int, step: int) -> int:
    return -(-ns // step) * step


class SyntheticSource:
    """Deterministic regime-switching OHLCV bars for any symbol, generated on demand."""

    def __init__(
        self,
        seed: int,
        base_timeframe: Timeframe = Timeframe.M15,
        start_price: Decimal | float = Decimal("100"),
        params: SyntheticParams | None = None,
    ) -> None:
        price = float(start_price)
        if not math.isfinite(price) or price <= 0:
            raise ValidationFailed("start_price", "must be a finite number > 0", start_price)
        self.seed = seed
        self.base_timeframe = base_timeframe
        self.params = params or SyntheticParams()
        self._log_start = math.log(price)
        # Prices are kept to six significant figures of the start price.
        self._tick = 10.0 ** (math.floor(math.log10(price)) - 5)
        self._days: dict[str, DayPath] = {}
        self._streams: dict[str, tuple[Stream, Stream]] = {}
        self._chunks: OrderedDict[tuple[str, int], _Chunk] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SyntheticSource(seed={self.seed}, base_timeframe={self.base_timeframe})"

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        """Bars of ``symbol`` at ``timeframe`` with open time in ``[since, until)``."""
        try:
            split_symbol(symbol)
        except ValueError as exc:
            raise ValidationFailed("symbol", str(exc)) from None
        since, until = check_window(since, until)
        if until > _LAST:
            raise ValidationFailed("until", f"must be before {_LAST.isoformat()}", until)
        check_resample(self.base_timeframe, timeframe)
        step = timeframe.seconds * 1_000_000_000
        first, stop = _ceil(max(_ns(since), 0), step), _ceil(_ns(until), step)
        if stop <= first:
            return empty_raw_frame()
        stamps, columns = self._base_bars(symbol, first, stop)
        if timeframe != self.base_timeframe:
            stamps, columns, _ = aggregate_arrays(stamps, columns, timeframe)
        return pd.DataFrame(
            dict(zip(BAR_COLUMNS, columns, strict=True)),
            index=pd.DatetimeIndex(stamps, tz=UTC, name="ts"),
        )

    def regimes(self, symbol: str, since: datetime, until: datetime) -> pd.Series:
        """The true regime of each UTC day overlapping ``[since, until)`` (ground truth)."""
        since, until = check_window(since, until)
        first, last = max(_ns(since), 0) // _DAY_NS, (_ceil(_ns(until), _DAY_NS) // _DAY_NS) - 1
        if last < first:
            return pd.Series([], dtype="object", index=pd.DatetimeIndex([], tz=UTC, name="ts"))
        path = self._day_path(symbol, last + 1)
        codes = path.regime[first : last + 1]
        index = pd.DatetimeIndex(np.arange(first, last + 1) * _DAY_NS, tz=UTC, name="ts")
        return pd.Series([_REGIMES[c] for c in codes], index=index, name="regime")

    def _streams_of(self, symbol: str) -> tuple[Stream, Stream]:
        with self._lock:
            streams = self._streams.get(symbol)
            if streams is None:
                streams = (
                    Stream(self.seed, symbol, "days", DAY_BLOCK, DAY_DRAWS),
                    Stream(self.seed, symbol, "bars", BAR_BLOCK, BAR_DRAWS),
                )
                self._streams[symbol] = streams
            return streams

    def _day_path(self, symbol: str, last_day: int) -> DayPath:
        days_stream = self._streams_of(symbol)[0]
        with self._lock:
            path = self._days.get(symbol)
            if path is None or len(path.level) <= last_day + 1:
                days = (last_day + 2) // DAY_BLOCK * DAY_BLOCK + DAY_BLOCK
                path = day_path(days_stream, days, self.params)
                self._days[symbol] = path
            return path

    def _chunk(self, symbol: str, chunk: int, chunk_days: int) -> _Chunk:
        key = (symbol, chunk)
        with self._lock:
            cached = self._chunks.get(key)
            if cached is not None:
                self._chunks.move_to_end(key)
                return cached
        first_day = chunk * chunk_days
        last_day = first_day + chunk_days - 1
        bars = generate_days(
            self._streams_of(symbol)[1],
            self._day_path(symbol, last_day + 1),
            first_day,
            last_day,
            self.base_timeframe.seconds,
            self._log_start,
            self.params,
        )
        kept = np.flatnonzero(~bars.missing)
        tick = self._tick
        o, h, low, c = (
            np.maximum(np.round(column[kept] / tick), 1.0) * tick
            for column in (bars.open, bars.high, bars.low, bars.close)
        )
        h = np.maximum(h, np.maximum(o, c))
        low = np.minimum(low, np.minimum(o, c))
        stamps = bars.index[kept] * (self.base_timeframe.seconds * 1_000_000_000)
        done = _Chunk(stamps, (o, h, low, c, np.round(bars.volume[kept], 4)))
        with self._lock:
            self._chunks[key] = done
            while len(self._chunks) > _CACHED_CHUNKS:
                self._chunks.popitem(last=False)
        return done

    def _base_bars(self, symbol: str, first_ns: int, stop_ns: int) -> tuple[Ints, list[Floats]]:
        """Base bars with open time in ``[first_ns, stop_ns)``: int64 ns stamps and columns."""
        chunk_days = max(1, _CHUNK_BARS * self.base_timeframe.seconds // 86_400)
        first_chunk = first_ns // _DAY_NS // chunk_days
        last_chunk = (stop_ns - 1) // _DAY_NS // chunk_days
        pieces: list[tuple[Ints, tuple[Floats, ...]]] = []
        for number in range(first_chunk, last_chunk + 1):
            chunk = self._chunk(symbol, number, chunk_days)
            lo, hi = np.searchsorted(chunk.stamps, [first_ns, stop_ns])
            pieces.append((chunk.stamps[lo:hi], tuple(col[lo:hi] for col in chunk.columns)))
        stamps = np.concatenate([p[0] for p in pieces])
        columns = [np.concatenate([p[1][k] for p in pieces]) for k in range(len(BAR_COLUMNS))]
        return stamps, columns


@dataclass(frozen=True)
class _Chunk:
    """Finished base bars of one chunk: present bars only, prices on the tick."""

    stamps: Ints
    columns: tuple[Floats, Floats, Floats, Floats, Floats]
