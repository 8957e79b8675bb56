"""The local bar store: one Parquet file per (symbol, timeframe), with incremental fill.

``ParquetBarStore`` keeps, next to the bars, the time ranges it has *covered*
(asked upstream for and stored), so a range whose bars are legitimately missing
(a venue outage, before listing) is not fetched again and again. Writes take a
validated :class:`~quorum.domain.BarFrame`, merge it with what is stored, and
replace the file atomically (temp file + ``os.replace``) under a lock: a reader
never sees half a file, and a failed write leaves the old file in place.

``StoreBackedSource`` serves requests from the store and fetches only the
missing ranges upstream; ``StoreSource`` is the read-only form (missing data is
an error naming the ranges).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from quorum.clock import Clock
from quorum.domain import BAR_COLUMNS, BarFrame, Timeframe, split_symbol
from quorum.domain.codecs import ensure_utc
from quorum.errors import DataQualityError, ValidationFailed
from quorum.market.quality import QualityPolicy, check_bars
from quorum.market.source import RawBarSource, check_window

__all__ = ["ParquetBarStore", "StoreBackedSource", "StoreSource"]

Range = tuple[datetime, datetime]
_COVERAGE = "quorum.coverage"


def _ceil(timeframe: Timeframe, when: datetime) -> datetime:
    floor = timeframe.floor(when)
    return floor if floor == when else floor + timeframe.delta


def _union(ranges: Sequence[Range]) -> list[Range]:
    merged: list[Range] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _empty(symbol: str, timeframe: Timeframe) -> BarFrame:
    index = pd.DatetimeIndex([], tz=UTC, name="ts").as_unit("ns")
    df = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS}, index=index)
    return BarFrame(symbol, timeframe, df)


class ParquetBarStore:
    """Bars on local disk under ``root``: ``root/<SYMBOL>/<timeframe>.parquet``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ParquetBarStore({str(self.root)!r})"

    def path_for(self, symbol: str, timeframe: Timeframe) -> Path:
        """The file of one (symbol, timeframe); ``BTC/USDT:USDT`` lives in ``BTC-USDT_USDT/``."""
        try:
            split_symbol(symbol)
        except ValueError as exc:
            raise ValidationFailed("symbol", str(exc)) from None
        safe = symbol.replace("/", "-").replace(":", "_")
        return self.root / safe / f"{timeframe}.parquet"

    def coverage(self, symbol: str, timeframe: Timeframe) -> list[Range]:
        """The ranges the store has covered, merged and sorted."""
        return self._load(symbol, timeframe)[1]

    def read(
        self,
        symbol: str,
        timeframe: Timeframe,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> BarFrame:
        """Stored bars with open time in ``[since, until)`` (all of them by default)."""
        df, _ = self._load(symbol, timeframe)
        if since is not None:
            df = df.loc[df.index >= ensure_utc(since, "since")]
        if until is not None:
            df = df.loc[df.index < ensure_utc(until, "until")]
        return BarFrame(symbol, timeframe, df)

    def last_open(self, symbol: str, timeframe: Timeframe) -> datetime | None:
        """Open time of the newest stored bar, ``None`` when nothing is stored."""
        df, _ = self._load(symbol, timeframe)
        return None if df.empty else df.index[-1].to_pydatetime()

    def missing_ranges(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> list[Range]:
        """Grid-aligned parts of ``[since, until)`` the store has not covered."""
        since, until = check_window(since, until)
        start, end = timeframe.floor(since), _ceil(timeframe, until)
        gaps: list[Range] = []
        cursor = start
        for a, b in self.coverage(symbol, timeframe):
            if b <= cursor:
                continue
            if a >= end:
                break
            if a > cursor:
                gaps.append((cursor, a))
            cursor = max(cursor, b)
        if cursor < end:
            gaps.append((cursor, end))
        return gaps

    def write(
        self,
        symbol: str,
        timeframe: Timeframe,
        frame: BarFrame,
        covered: Sequence[Range] | None = None,
    ) -> int:
        """Merge ``frame`` into the store (new bars win) and record ``covered``.

        ``covered`` defaults to the span of ``frame``. Every bar must lie inside
        ``covered``. The merged result is validated before anything is written.
        Returns the number of bars written.
        """
        if frame.symbol != symbol or frame.timeframe != timeframe:
            raise ValidationFailed(
                "frame", f"must hold {symbol} {timeframe} bars", f"{frame.symbol} {frame.timeframe}"
            )
        ranges = self._covered(frame, covered)
        path = self.path_for(symbol, timeframe)
        with self._locked(path):
            old, old_ranges = self._load(symbol, timeframe)
            new = frame.df
            kept = old.loc[~old.index.isin(new.index)]
            merged = pd.concat([kept, new]).sort_index() if len(kept) else new.copy()
            checked = BarFrame(symbol, timeframe, merged)
            self._replace(path, checked.df, _union([*old_ranges, *ranges]))
        return len(frame)

    def _covered(self, frame: BarFrame, covered: Sequence[Range] | None) -> list[Range]:
        df, tf = frame.df, frame.timeframe
        if covered is None:
            if not len(df):
                return []
            return [(df.index[0].to_pydatetime(), tf.close_of(df.index[-1].to_pydatetime()))]
        ranges = []
        for a, b in covered:
            a, b = check_window(a, b)
            if not (tf.is_on_grid(a) and tf.is_on_grid(b)):
                raise ValidationFailed("covered", f"must be on the {tf} grid", f"{a}..{b}")
            ranges.append((a, b))
        ranges = _union(ranges)
        inside = np.zeros(len(df), dtype=bool)
        for a, b in ranges:
            inside |= np.asarray((df.index >= a) & (df.index < b))
        if not inside.all():
            first = df.index[int(np.flatnonzero(~inside)[0])]
            raise ValidationFailed("covered", "must contain every bar written", first.isoformat())
        return ranges

    def _load(self, symbol: str, timeframe: Timeframe) -> tuple[pd.DataFrame, list[Range]]:
        path = self.path_for(symbol, timeframe)
        if not path.exists():
            return _empty(symbol, timeframe).df, []
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise DataQualityError(f"{path}: unreadable store file ({exc})") from None
        raw = df.attrs.get(_COVERAGE, [])
        ranges = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in raw]
        df.attrs.clear()
        return df, ranges

    def _replace(self, path: Path, df: pd.DataFrame, ranges: list[Range]) -> None:
        out = df.copy()
        out.attrs[_COVERAGE] = [[a.isoformat(), b.isoformat()] for a, b in ranges]
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        os.close(fd)
        try:
            out.to_parquet(tmp)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(path.with_suffix(".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class StoreBackedSource:
    """Serve bars from the store; fetch only the missing closed ranges from ``upstream``.

    ``policy`` ``None`` means the default :class:`QualityPolicy`. Fetched ranges
    are quality-checked (staleness is left to the loader, which judges the whole
    window) and written in one merge, so a bad range means nothing from this
    request is written.
    """

    def __init__(
        self,
        store: ParquetBarStore,
        upstream: RawBarSource,
        policy: QualityPolicy | None,
        clock: Clock,
    ) -> None:
        self.store = store
        self.upstream = upstream
        self.policy = (policy or QualityPolicy()).model_copy(update={"stale": "report"})
        self.clock = clock

    def __repr__(self) -> str:
        return f"StoreBackedSource({self.store!r}, upstream={self.upstream!r})"

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        since, until = check_window(since, until)
        now = self.clock.now()
        horizon = min(until, timeframe.floor(now))
        if horizon > since:
            frames: list[pd.DataFrame] = []
            covered: list[Range] = []
            for a, b in self.store.missing_ranges(symbol, timeframe, since, horizon):
                raw = self.upstream.fetch_raw(symbol, timeframe, a, b)
                frame, _ = check_bars(raw, symbol, timeframe, now, self.policy, since=a, until=b)
                inside = frame.df.loc[(frame.df.index >= a) & (frame.df.index < b)]
                frames.append(inside)
                covered.append((a, min(b, timeframe.floor(now))))
            if covered:
                merged = pd.concat(frames).sort_index()
                batch = BarFrame(symbol, timeframe, merged)
                self.store.write(symbol, timeframe, batch, covered)
        return self.store.read(symbol, timeframe, since, until).df


class StoreSource:
    """Read-only store access: requesting a range the store has not covered is an error."""

    def __init__(self, store: ParquetBarStore, *, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def __repr__(self) -> str:
        return f"StoreSource({self.store!r})"

    def last_open(self, symbol: str, timeframe: Timeframe) -> datetime | None:
        """Open time of the newest stored bar of ``(symbol, timeframe)``."""
        return self.store.last_open(symbol, timeframe)

    def fetch_raw(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> pd.DataFrame:
        since, until = check_window(since, until)
        horizon = min(until, timeframe.floor(self.clock.now()))
        if horizon > since:
            missing = self.store.missing_ranges(symbol, timeframe, since, horizon)
            if missing:
                shown = ", ".join(f"[{a.isoformat()}, {b.isoformat()})" for a, b in missing)
                raise DataQualityError(
                    f"{symbol} {timeframe}: the local store ({self.store.root}) has no data for "
                    f"{shown}; expected it to cover the request (import it with "
                    "`quorum data import`, or use a fetching source)"
                )
        return self.store.read(symbol, timeframe, since, until).df
