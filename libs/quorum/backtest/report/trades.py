"""Trade statistics: small pure functions over closed trades.

Money stays :class:`~decimal.Decimal`; ratios are floats. Definitions:

* win: ``pnl > 0``; loss: ``pnl < 0``; a trade with ``pnl == 0`` is neither.
* ``win_rate`` = wins / closed trades.
* ``avg_win`` = mean P&L of wins; ``avg_loss`` = mean P&L of losses (negative).
* ``realized_rr`` = ``avg_win / |avg_loss|`` (the reward:risk the trades realised).
* ``expectancy`` = mean P&L per closed trade; ``expectancy_r`` = mean R multiple of the
  trades that have one.
* ``profit_factor`` = gross profit / gross loss; ``None`` when there is no loss.
* max consecutive losses: the longest run of losing trades in exit order (a break-even
  trade ends a run); its cost is that run's summed P&L (the costliest run on ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from quorum.backtest.results import Trade

__all__ = [
    "LosingStreak",
    "TradeStats",
    "average_holding_time",
    "expectancy",
    "gross_loss",
    "gross_profit",
    "max_losing_streak",
    "profit_factor",
    "trade_stats",
    "win_rate",
]

ZERO = Decimal(0)


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def gross_profit(pnls: Sequence[Decimal]) -> Decimal:
    return sum((p for p in pnls if p > 0), ZERO)


def gross_loss(pnls: Sequence[Decimal]) -> Decimal:
    """Sum of the losses as a positive amount."""
    return -sum((p for p in pnls if p < 0), ZERO)


def profit_factor(pnls: Sequence[Decimal]) -> float | None:
    loss = gross_loss(pnls)
    if loss == 0:
        return None
    return float(gross_profit(pnls) / loss)


def win_rate(pnls: Sequence[Decimal]) -> float | None:
    if not pnls:
        return None
    return sum(1 for p in pnls if p > 0) / len(pnls)


def expectancy(pnls: Sequence[Decimal]) -> Decimal | None:
    return _mean(pnls)


def average_holding_time(trades: Sequence[Trade]) -> timedelta | None:
    if not trades:
        return None
    total = sum((t.holding_time for t in trades), timedelta())
    return total / len(trades)


@dataclass(frozen=True, slots=True)
class LosingStreak:
    length: int
    cost: Decimal
    """Summed P&L of the streak (<= 0)."""


def max_losing_streak(pnls: Sequence[Decimal]) -> LosingStreak:
    """Longest run of consecutive losses; among equally long runs, the costliest."""
    best = LosingStreak(0, ZERO)
    length, cost = 0, ZERO
    for pnl in pnls:
        if pnl < 0:
            length, cost = length + 1, cost + pnl
            if length > best.length or (length == best.length and cost < best.cost):
                best = LosingStreak(length, cost)
        else:
            length, cost = 0, ZERO
    return best


@dataclass(frozen=True, slots=True)
class TradeStats:
    opened: int
    closed: int
    wins: int
    losses: int
    breakeven: int
    win_rate: float | None
    avg_win: Decimal | None
    avg_loss: Decimal | None
    realized_rr: float | None
    expectancy: Decimal | None
    expectancy_r: float | None
    profit_factor: float | None
    gross_profit: Decimal
    gross_loss: Decimal
    net_pnl: Decimal
    fees: Decimal
    slippage: Decimal
    avg_holding_time: timedelta | None
    max_consecutive_losses: int
    max_consecutive_losses_cost: Decimal


def trade_stats(trades: Sequence[Trade], open_at_end: int = 0) -> TradeStats:
    """Every trade statistic of the report; trades are taken in exit-time order."""
    ordered = sorted(trades, key=lambda t: (t.exit_time, t.entry_time, t.symbol))
    pnls = [t.pnl for t in ordered]
    win_pnls = [p for p in pnls if p > 0]
    loss_pnls = [p for p in pnls if p < 0]
    avg_win, avg_loss = _mean(win_pnls), _mean(loss_pnls)
    rr = float(avg_win / -avg_loss) if avg_win is not None and avg_loss is not None else None
    r_values = [t.r_multiple for t in ordered if t.r_multiple is not None]
    streak = max_losing_streak(pnls)
    return TradeStats(
        opened=len(ordered) + open_at_end,
        closed=len(ordered),
        wins=len(win_pnls),
        losses=len(loss_pnls),
        breakeven=len(pnls) - len(win_pnls) - len(loss_pnls),
        win_rate=win_rate(pnls),
        avg_win=avg_win,
        avg_loss=avg_loss,
        realized_rr=rr,
        expectancy=expectancy(pnls),
        expectancy_r=sum(r_values) / len(r_values) if r_values else None,
        profit_factor=profit_factor(pnls),
        gross_profit=gross_profit(pnls),
        gross_loss=gross_loss(pnls),
        net_pnl=sum(pnls, ZERO),
        fees=sum((t.fees for t in ordered), ZERO),
        slippage=sum((t.slippage for t in ordered), ZERO),
        avg_holding_time=average_holding_time(ordered),
        max_consecutive_losses=streak.length,
        max_consecutive_losses_cost=streak.cost,
    )
