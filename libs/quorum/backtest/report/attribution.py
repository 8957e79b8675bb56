"""Per-pattern / analyst / model hit rates and the buy-and-hold baseline (pure functions).

Hit rate of a label (a pattern, an analyst, a model) = winning trades / trades that
carried the label; a trade with several labels counts once for each.

Buy and hold: the initial capital split equally across the symbols' close series,
each slice bought at the series' first close inside the run window and held, no fees;
a slice waits in cash until its symbol's first close. Its equity at a time is the sum
of the slices marked at their latest close.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quorum.backtest.results import PriceSeries, Trade

__all__ = ["BuyAndHold", "HitRate", "buy_and_hold", "hit_rates"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class HitRate:
    label: str
    trades: int
    wins: int
    hit_rate: float
    net_pnl: Decimal


def hit_rates(trades: Sequence[Trade], labels: Callable[[Trade], Sequence[str]]) -> list[HitRate]:
    """Hit rate per label, sorted by label."""
    counts: dict[str, tuple[int, int, Decimal]] = {}
    for trade in trades:
        for label in dict.fromkeys(labels(trade)):
            n, wins, pnl = counts.get(label, (0, 0, ZERO))
            counts[label] = (n + 1, wins + (1 if trade.is_win else 0), pnl + trade.pnl)
    return [
        HitRate(label, n, wins, wins / n, pnl) for label, (n, wins, pnl) in sorted(counts.items())
    ]


@dataclass(frozen=True, slots=True)
class BuyAndHold:
    times: tuple[datetime, ...]
    equity: tuple[Decimal, ...]
    per_symbol_return: tuple[tuple[str, float], ...]


def _window(series: PriceSeries, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
    return [(t, c) for t, c in zip(series.times, series.closes, strict=True) if start <= t <= end]


def buy_and_hold(
    prices: Sequence[PriceSeries], capital: Decimal, start: datetime, end: datetime
) -> BuyAndHold:
    """The equal-weight buy-and-hold curve over ``[start, end]`` (one series per symbol)."""
    chosen: dict[str, list[tuple[datetime, Decimal]]] = {}
    for series in sorted(prices, key=lambda s: (s.symbol, s.timeframe.seconds)):
        points = _window(series, start, end)
        if series.symbol not in chosen and points:
            chosen[series.symbol] = points
    if not chosen:
        return BuyAndHold((), (), ())
    slice_ = capital / len(chosen)
    units = {sym: slice_ / pts[0][1] for sym, pts in chosen.items()}
    per_symbol = tuple(
        (sym, float(pts[-1][1] / pts[0][1] - 1)) for sym, pts in sorted(chosen.items())
    )
    times = sorted({t for pts in chosen.values() for t, _ in pts})
    cursor = dict.fromkeys(chosen, -1)
    equity: list[Decimal] = []
    for when in times:
        total = ZERO
        for sym, pts in chosen.items():
            i = cursor[sym]
            while i + 1 < len(pts) and pts[i + 1][0] <= when:
                i += 1
            cursor[sym] = i
            total += units[sym] * pts[i][1] if i >= 0 else slice_
        equity.append(total)
    return BuyAndHold(tuple(times), tuple(equity), per_symbol)
