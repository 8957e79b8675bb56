"""The run's bars, loaded and validated once: a ``MarketData`` that answers from memory.

Every scan, analysis and monitor pass asks the market port for a window of closed base
bars at the replay clock's ``now``; through :class:`~quorum.market.MarketDataLoader` each
such call regenerates (or re-reads) the raw rows and runs every quality gate again.
:class:`WindowMarket` loads each symbol's whole run window ``[since, until)`` once,
through a loader of the same source whose clock stands at ``until``, and answers a
request by slicing that validated frame — the same rows, values and index the run's own
loader returns, because:

- the source is split-invariant (a bar's values do not depend on the window asked for:
  synthetic data per seed and symbol, files, the local store), so the rows the loader
  would fetch for ``[since, min(until, now))`` are exactly the window's rows there;
- the window load passed every gate with nothing repaired and nothing rejected (only
  gaps and zero-volume bars reported, which change no row), and those gates are row-local
  or order properties that every subset keeps; bars not closed at ``now`` are dropped,
  as the loader drops them;
- the one window-dependent gate, ``stale`` (the last closed bar older than
  ``stale_after_bars`` bars at ``min(now, until)``), is evaluated here with the loader's
  rule, and a request it would flag is handed to the run's loader, which decides.

Anything else — another timeframe, a request outside the window, a window load that
failed or repaired rows, a loader that is not a :class:`MarketDataLoader` — goes to the
run's loader unchanged. Only bars closed at the clock's ``now`` are ever returned.

:meth:`WindowMarket.align_timeframes` is the scan stage's alignment hook: for the frame it
just served it answers from the window resampled once per timeframe. Equal to
:func:`quorum.market.align_timeframes`: the request starts on the target's grid, so each
target bar closed at ``as_of`` aggregates the same base rows, in the same order, in both.
Any other frame or request is aligned by ``quorum.market.align_timeframes`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from quorum.clock import Clock, ReplayClock
from quorum.domain import BarFrame, Timeframe
from quorum.errors import DataQualityError
from quorum.market import MarketDataLoader, aggregate_ohlcv, align_timeframes, check_window
from quorum.ports import MarketData

if TYPE_CHECKING:
    from quorum.backtest.spec import BacktestSpec

_SAFE_PROBLEMS = frozenset({"gaps", "zero_volume"})


class WindowMarket:
    """``MarketData`` for one backtest run; see the module doc."""

    def __init__(
        self,
        loader: MarketData,
        clock: Clock,
        base: Timeframe,
        since: datetime,
        until: datetime,
        window_loader: Callable[[], MarketData],
    ) -> None:
        self._loader = loader
        self._clock = clock
        self._base = base
        self._since = since
        self._until = until
        self._window_loader = window_loader
        self._full: MarketData | None = None
        self._frames: dict[str, BarFrame | None] = {}
        self._resampled: dict[tuple[str, Timeframe], BarFrame | None] = {}
        self._served_last: dict[str, tuple[BarFrame, datetime, datetime]] = {}
        self._stale_after = step_count(loader)
        self.served = 0
        self.delegated = 0
        self.aligned = 0

    def __repr__(self) -> str:
        return (
            f"WindowMarket({self._loader!r}, {self._since.isoformat()}..{self._until.isoformat()})"
        )

    def fetch_bars(
        self, symbol: str, timeframe: Timeframe, since: datetime, until: datetime
    ) -> BarFrame:
        """Closed and validated bars with open time in ``[since, until)``."""
        since, until = check_window(since, until)
        now = self._clock.now()
        answer = None
        if timeframe == self._base and since >= self._since and min(until, now) <= self._until:
            frame = self._window(symbol)
            if frame is not None:
                answer = self._slice(frame, since, until, now)
        if answer is None:
            self.delegated += 1
            return self._loader.fetch_bars(symbol, timeframe, since, until)
        self.served += 1
        self._served_last[symbol] = (answer, since, min(until, now))
        return answer

    def align_timeframes(
        self, base: BarFrame, targets: list[Timeframe], as_of: datetime
    ) -> dict[Timeframe, BarFrame]:
        """What :func:`quorum.market.align_timeframes` returns for ``base`` (module doc)."""
        out = align_timeframes(base, [t for t in targets if t == base.timeframe], as_of)
        for target in dict.fromkeys(targets):
            if target not in out:
                cached = self._aligned(base, target, as_of)
                out[target] = (
                    cached
                    if cached is not None
                    else align_timeframes(base, [target], as_of)[target]
                )
        return {target: out[target] for target in dict.fromkeys(targets)}

    def _aligned(self, base: BarFrame, target: Timeframe, as_of: datetime) -> BarFrame | None:
        served = self._served_last.get(base.symbol)
        if served is None or served[0] is not base or as_of.tzinfo is None:
            return None
        _, since, bound = served
        if target.floor(since) != since or as_of > bound or target.seconds % self._base.seconds:
            return None
        key = (base.symbol, target)
        if key not in self._resampled:
            self._resampled[key] = self._resample(base.symbol, target)
        whole = self._resampled[key]
        if whole is None:
            return None
        done = whole.closed_at(as_of)
        first = int(done.df.index.searchsorted(pd.Timestamp(since), side="left"))
        self.aligned += 1
        return done.tail(len(done) - first)

    def _resample(self, symbol: str, target: Timeframe) -> BarFrame | None:
        frame = self._frames.get(symbol)
        if frame is None or target.floor(self._since) != self._since:
            return None
        out, _counts = aggregate_ohlcv(frame.df, target)
        try:
            return BarFrame(symbol, target, out)
        except DataQualityError:
            return None

    def _window(self, symbol: str) -> BarFrame | None:
        if symbol in self._frames:
            return self._frames[symbol]
        if self._full is None:
            self._full = self._window_loader()
        full = self._full
        frame: BarFrame | None = None
        if isinstance(full, MarketDataLoader) and isinstance(self._loader, MarketDataLoader):
            try:
                loaded = full.fetch_bars(symbol, self._base, self._since, self._until)
            except DataQualityError:
                loaded = None
            report = full.last_report(symbol, self._base)
            clean = (
                report is not None
                and report.passed
                and not report.repaired
                and all(p.rule in _SAFE_PROBLEMS for p in report.problems)
                and full.policy == self._loader.policy
            )
            frame = loaded if clean else None
        self._frames[symbol] = frame
        return frame

    def _slice(
        self, frame: BarFrame, since: datetime, until: datetime, now: datetime
    ) -> BarFrame | None:
        """The closed rows in ``[since, until)``, or None when the loader's stale rule
        (or anything unusual) must decide."""
        step = self._base.delta
        index = frame.df.index
        first = int(index.searchsorted(pd.Timestamp(since), side="left"))
        # open < until  <=>  open + step <= ceil(until) on the grid; closed: open + step <= now
        ceil = self._base.floor(until)
        if ceil < until:
            ceil += step
        cut = frame.closed_at(min(now, ceil))
        rows = len(cut) - first
        if rows < 0:
            return None
        out = cut.tail(rows)
        ref = min(now, until)
        last_close = out.df.index[-1].to_pydatetime() + step if rows else since
        if self._stale_after is None or ref - last_close > step * self._stale_after:
            return None
        return out


def step_count(loader: MarketData) -> int | None:
    """The loader's ``stale_after_bars`` (None: not a MarketDataLoader, never served here)."""
    return loader.policy.stale_after_bars if isinstance(loader, MarketDataLoader) else None


def run_market(spec: BacktestSpec, clock: ReplayClock) -> MarketData:
    """The run's market: ``spec.data`` through its loader on the run's clock, answered from
    the window loaded once. The window starts where the earliest scan or analysis of the run
    reaches back (``history_bars`` of the longest timeframe before the start) and ends at
    the run's end."""
    from quorum.market import open_source
    from quorum.pipeline.scan import history_start

    def opened(at: ReplayClock) -> MarketData:
        return open_source(spec.data, clock=at, seed=spec.seed, base_timeframe=spec.base_timeframe)

    frames = [Timeframe(tf) for tf in spec.timeframes]
    return WindowMarket(
        opened(clock),
        clock,
        spec.base_timeframe,
        history_start(frames, spec.start, spec.history_bars),
        spec.end,
        lambda: opened(ReplayClock(spec.end)),
    )
