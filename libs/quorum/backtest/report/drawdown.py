"""Drawdown of an equity curve (pure functions).

Drawdown at point ``i`` is ``peak_i - e_i`` in money and ``(peak_i - e_i) / peak_i``
as a fraction, where ``peak_i`` is the highest equity up to ``i``. A drawdown lasts
from the peak it falls from until equity first gets back to that peak (or until the
curve ends, if it never does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

__all__ = ["Drawdown", "drawdown_series", "max_drawdown"]

ZERO = Decimal(0)


def drawdown_series(equity: Sequence[Decimal]) -> list[tuple[Decimal, float]]:
    """``(money, fraction)`` of the drawdown at every point (fraction 0 while peak <= 0)."""
    out: list[tuple[Decimal, float]] = []
    peak: Decimal | None = None
    for value in equity:
        peak = value if peak is None or value > peak else peak
        money = peak - value
        out.append((money, float(money / peak) if peak > 0 else 0.0))
    return out


@dataclass(frozen=True, slots=True)
class Drawdown:
    max_money: Decimal
    """Largest peak-to-trough fall in money (>= 0)."""
    max_fraction: float
    """Largest peak-to-trough fall as a fraction of its peak (0..1 for positive equity)."""
    peak_time: datetime | None
    trough_time: datetime | None
    longest: timedelta
    """Longest time spent below a previous peak."""
    longest_start: datetime | None
    longest_end: datetime | None
    recovered: bool
    """Whether the longest drawdown ended by regaining its peak (False: still under water)."""


def max_drawdown(times: Sequence[datetime], equity: Sequence[Decimal]) -> Drawdown:
    """Deepest and longest drawdown of the curve ``(times[i], equity[i])``."""
    if len(times) != len(equity):
        raise ValueError(f"equity: {len(equity)} values for {len(times)} times")
    max_money, max_fraction = ZERO, 0.0
    peak_time: datetime | None = None
    trough_time: datetime | None = None
    longest, longest_start, longest_end, recovered = timedelta(), None, None, True
    peak, peak_at, underwater = ZERO, None, False
    for when, value in zip(times, equity, strict=True):
        if peak_at is None or value >= peak:
            if underwater and peak_at is not None and when - peak_at > longest:
                longest, longest_start, longest_end, recovered = when - peak_at, peak_at, when, True
            peak, peak_at, underwater = value, when, False
            continue
        underwater = True
        money = peak - value
        if money > max_money:
            max_money, peak_time, trough_time = money, peak_at, when
        if peak > 0:
            max_fraction = max(max_fraction, float(money / peak))
    if underwater and peak_at is not None and times[-1] - peak_at > longest:
        longest, longest_start, longest_end = times[-1] - peak_at, peak_at, times[-1]
        recovered = False
    return Drawdown(
        max_money=max_money,
        max_fraction=max_fraction,
        peak_time=peak_time,
        trough_time=trough_time,
        longest=longest,
        longest_start=longest_start,
        longest_end=longest_end,
        recovered=recovered,
    )
