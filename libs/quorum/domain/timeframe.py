"""Timeframes and the bar-time rules every stage follows.

Bar timestamps are bar *open* times in UTC; a bar is usable only once closed:
``open + timeframe <= as_of``. Boundaries are exchange-standard (epoch-aligned
UTC; daily bars open at 00:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from quorum.errors import ValidationFailed

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"

    @property
    def seconds(self) -> int:
        return _SECONDS[self]

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    @property
    def pandas_freq(self) -> str:
        """The pandas offset alias of this timeframe (``15min``, ``1h``, ``1D`` …)."""
        return _PANDAS[self]

    @classmethod
    def parse(cls, text: str) -> Timeframe:
        try:
            return cls(text.strip())
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise ValidationFailed("timeframe", f"must be one of {allowed}", text) from None

    def floor(self, when: datetime) -> datetime:
        """Open time of the bar that contains ``when``."""
        return _EPOCH + (when - _EPOCH) // self.delta * self.delta

    def is_on_grid(self, when: datetime) -> bool:
        return self.floor(when) == when

    def close_of(self, open_time: datetime) -> datetime:
        return open_time + self.delta

    def is_closed(self, open_time: datetime, as_of: datetime) -> bool:
        """True when the bar opening at ``open_time`` has closed by ``as_of``."""
        return open_time + self.delta <= as_of

    def last_closed_open(self, as_of: datetime) -> datetime:
        """Open time of the most recent bar that is closed at ``as_of``."""
        return self.floor(as_of) - self.delta


_SECONDS: dict[Timeframe, int] = {
    Timeframe.M1: 60,
    Timeframe.M5: 300,
    Timeframe.M15: 900,
    Timeframe.H1: 3600,
    Timeframe.H4: 14400,
    Timeframe.D1: 86400,
}
_PANDAS: dict[Timeframe, str] = {
    Timeframe.M1: "1min",
    Timeframe.M5: "5min",
    Timeframe.M15: "15min",
    Timeframe.H1: "1h",
    Timeframe.H4: "4h",
    Timeframe.D1: "1D",
}
