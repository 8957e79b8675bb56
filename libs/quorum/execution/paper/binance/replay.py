"""The simulator's market in a replay: its clock follows the client's signed timestamps
and each base bar is fed to the matching engine once it has closed.

A live run replayed over history (``quorum run`` in live mode against ``quorum venue
serve``-like simulators in tests) signs every request with its replay clock. With
:class:`ClientTime` the simulator lives at that time: a signed request moves its clock
forward to the request's ``timestamp`` (never back), so the receive window is enforced
against the latest time any client proved, and every base bar of the kline source that
closed by then is fed to the engine — resting orders, stops included, match against it.
"""

from __future__ import annotations

import threading
from datetime import datetime

from quorum.clock import ReplayClock
from quorum.domain import Timeframe
from quorum.execution.paper.binance.protocol import from_ms
from quorum.execution.paper.binance.server import KlineSource
from quorum.execution.paper.matching import PaperVenue


class ClientTime:
    """Moves a :class:`ReplayClock` to the clients' signed time and feeds closed bars."""

    def __init__(
        self,
        clock: ReplayClock,
        venue: PaperVenue,
        klines: KlineSource | None = None,
        symbols: list[str] | None = None,
        base: Timeframe = Timeframe.M15,
    ) -> None:
        self.clock, self.venue, self.klines = clock, venue, klines
        self.symbols, self.base = list(symbols or []), base
        self._lock = threading.Lock()
        self._fed_until: dict[str, datetime] = {}

    def __call__(self, timestamp_ms: int) -> None:
        when = from_ms(timestamp_ms)
        with self._lock:
            if when > self.clock.now():
                self.clock.set(when)
            self.feed()

    def feed(self) -> None:
        """Feed every base bar that closed by the clock's now and was not fed yet (nothing
        without a kline source: the test sets quotes itself)."""
        if self.klines is None:
            return
        closed = self.base.floor(self.clock.now())
        for symbol in self.symbols:
            start = self._fed_until.get(symbol, closed - self.base.delta)
            if start >= closed:
                continue
            for bar in self.klines(symbol, self.base.value, start, closed):
                self.venue.on_bar(symbol, bar.open, bar.high, bar.low, bar.close, ts=bar.ts)
            self._fed_until[symbol] = closed


__all__ = ["ClientTime"]
