"""The raw-bar source interface every market-data adapter implements.

A :class:`RawBarSource` returns bars exactly as the venue, file or generator
produced them: a frame indexed by UTC open times (``DatetimeIndex`` named
``ts``) with float columns ``open high low close volume``, covering open times
in ``[since, until)``. Nothing is quality-checked yet and the last bar may still
be open; :func:`quorum.market.quality.check_bars` turns it into a
:class:`~quorum.domain.BarFrame`.

A raw frame may carry one optional extra column, :data:`SOURCE_ROW`, with the
row's position in its origin (a CSV line number, a Parquet row). When present,
quality errors quote it next to the timestamp; ``frame.attrs["source"]`` and
``frame.attrs["row_kind"]`` name the origin ("bars.csv", "line").
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from quorum.domain import BAR_COLUMNS, Timeframe
from quorum.domain.codecs import ensure_utc
from quorum.errors import ValidationFailed

__all__ = [
    "SOURCE_ROW",
    "Bools",
    "BoundedSource",
    "Floats",
    "Ints",
    "RawBarSource",
    "check_window",
    "empty_raw_frame",
    "index_ns",
]

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]

SOURCE_ROW = "source_row"
"""Optional raw-frame column: the row's position in the file it came from."""


@runtime_checkable
class RawBarSource(Protocol):
    """Anything that can hand back unchecked OHLCV bars for one symbol and timeframe."""

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        """Bars with open time in ``[since, until)``, not yet quality-checked."""
        ...


@runtime_checkable
class BoundedSource(Protocol):
    """A source holding a fixed history (a file, the local store) that knows its last bar."""

    def last_open(self, symbol: str, timeframe: Timeframe) -> datetime | None:
        """Open time of the newest bar held for ``(symbol, timeframe)``; ``None`` if none."""
        ...


def empty_raw_frame() -> pd.DataFrame:
    """A raw frame with the right columns, index type and name, and no rows."""
    index = pd.DatetimeIndex([], tz="UTC", name="ts").as_unit("ns")
    return pd.DataFrame({name: pd.Series(dtype="float64") for name in BAR_COLUMNS}, index=index)


def check_window(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    """Return ``(since, until)`` in UTC; refuse naive times and inverted windows.

    ``since == until`` is an empty window, not an error.
    """
    since = ensure_utc(since, "since")
    until = ensure_utc(until, "until")
    if until < since:
        raise ValidationFailed(
            "until", f"must not be before since ({since.isoformat()})", until.isoformat()
        )
    return since, until


def index_ns(index: pd.DatetimeIndex) -> Ints:
    """Open times as int64 nanoseconds since the epoch (UTC); NaT becomes the int64 minimum."""
    utc = index if index.tz is None else index.tz_convert("UTC").tz_localize(None)
    return np.asarray(utc.as_unit("ns").to_numpy(dtype="datetime64[ns]").view("int64"))
