"""The MarketData port over any raw source: quality gates on every load, closed bars only."""

from __future__ import annotations

import threading
from datetime import datetime

from quorum.clock import Clock
from quorum.domain import BarFrame, Timeframe
from quorum.errors import DataQualityError
from quorum.market.quality import QualityPolicy, check_bars
from quorum.market.report import QualityRejected, QualityReport
from quorum.market.source import BoundedSource, RawBarSource, check_window, empty_raw_frame

__all__ = ["MarketDataLoader"]


class MarketDataLoader:
    """Implements :class:`quorum.ports.MarketData` on top of a :class:`RawBarSource`.

    Every load asks the source for ``[since, min(until, now))``, runs
    :func:`~quorum.market.quality.check_bars` at the clock's ``now`` (so bars not
    closed yet are dropped and bars from the future are refused), and returns the
    closed bars with open time in ``[since, until)``. The report of the last load
    of each (symbol, timeframe), passed or rejected, is kept for callers.
    """

    def __init__(
        self, source: RawBarSource, clock: Clock, policy: QualityPolicy | None = None
    ) -> None:
        self.source = source
        self.clock = clock
        self.policy = policy or QualityPolicy()
        self._reports: dict[tuple[str, Timeframe], QualityReport] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MarketDataLoader({self.source!r})"

    def fetch_bars(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> BarFrame:
        """Closed and validated bars with open time in ``[since, until)``."""
        since, until = check_window(since, until)
        now = self.clock.now()
        ask_until = min(until, now)
        if ask_until > since:
            raw = self.source.fetch_raw(symbol, timeframe, since, ask_until)
        else:
            raw = empty_raw_frame()
        try:
            frame, report = check_bars(
                raw, symbol, timeframe, now, self.policy, since=since, until=until
            )
        except QualityRejected as exc:
            self._remember(symbol, timeframe, exc.report)
            raise
        self._remember(symbol, timeframe, report)
        df = frame.df
        inside = (df.index >= since) & (df.index < until)
        return frame if inside.all() else BarFrame(symbol, timeframe, df.loc[inside])

    def latest_close(self, symbol: str, timeframe: Timeframe) -> datetime:
        """Close time of the newest bar the source can provide.

        For a fixed history (file, local store) that is its last bar's close; for a
        generator or a live venue it is the close of the last bar closed at the clock.
        """
        if isinstance(self.source, BoundedSource):
            last = self.source.last_open(symbol, timeframe)
            if last is None:
                raise DataQualityError(
                    f"{symbol} {timeframe}: {self.source!r} holds no bars; expected at least one"
                )
            return timeframe.close_of(last)
        return timeframe.floor(self.clock.now())

    def last_report(self, symbol: str, timeframe: Timeframe) -> QualityReport | None:
        """The quality report of the most recent load of ``(symbol, timeframe)``."""
        with self._lock:
            return self._reports.get((symbol, timeframe))

    def _remember(self, symbol: str, timeframe: Timeframe, report: QualityReport) -> None:
        with self._lock:
            self._reports[(symbol, timeframe)] = report
