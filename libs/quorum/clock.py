"""The only place in ``libs/`` that reads wall time.

Everything else takes a :class:`Clock` (the ``Clock`` port) so that a replay
drives exactly the same code as live trading: ``SystemClock`` reads the system
time, ``ReplayClock`` is moved forward by the backtester and never backwards.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from quorum.domain.codecs import ensure_utc
from quorum.errors import ClockError


@runtime_checkable
class Clock(Protocol):
    """Source of the current time; always timezone-aware UTC."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, for measuring durations."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return _time.monotonic()


class ReplayClock:
    """A clock that only moves when told to, and only forward.

    ``monotonic`` follows the replayed time, so durations measured in a replay
    are market-time durations.
    """

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start, "start")
        self._origin = self._now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return (self._now - self._origin).total_seconds()

    def set(self, when: datetime) -> None:
        when = ensure_utc(when, "when")
        with self._lock:
            if when < self._now:
                raise ClockError(
                    f"replay clock: cannot move backwards from {self._now.isoformat()} "
                    f"to {when.isoformat()}"
                )
            self._now = when

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ClockError(f"replay clock: advance must be >= 0 (got {delta})")
        self.set(self._now + delta)
