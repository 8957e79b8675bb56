"""Marking open positions to the latest prices: the monitor's first pass.

A position exits at the bid when long, the ask when short, or a bar's close in replay;
its floating P&L is the move from entry times the quantity. Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import NamedTuple

from typing_extensions import TypeIs

from quorum.domain import Bar, Direction, Quote
from quorum.risk.inputs import MonitoredPosition
from quorum.risk.money import ZERO

PriceUpdate = Quote | Bar


def is_bar(price: PriceUpdate) -> TypeIs[Bar]:
    """``isinstance(price, Bar)``, answered without the metaclass hook for the usual Quote."""
    return type(price) is not Quote and isinstance(price, Bar)


def extremes(direction: Direction, price: PriceUpdate, mark: Decimal) -> tuple[Decimal, Decimal]:
    """``(worst, best)`` exit prices seen: the bar's low/high (mirrored for a short)."""
    if is_bar(price):
        return (price.low, price.high) if direction is Direction.LONG else (price.high, price.low)
    return mark, mark


class Marked(NamedTuple):
    """A position with its latest price, exit mark and floating P&L (None without a price)."""

    mp: MonitoredPosition
    price: PriceUpdate | None
    mark: Decimal
    pnl: Decimal


class Book(NamedTuple):
    """Every position marked, with the floating P&L totals the account rules read."""

    rows: list[Marked]
    worst: Marked | None
    """The first row with the lowest P&L (``min`` over the rows)."""
    floating: Decimal
    """The P&L summed in position order from zero (``sum`` over the rows)."""


def mark_all(positions: Sequence[MonitoredPosition], quotes: Mapping[str, PriceUpdate]) -> Book:
    """One pass over the positions: marks, P&L, the worst row and the total."""
    rows: list[Marked] = []
    append = rows.append
    worst: Marked | None = None
    floating = ZERO
    long_side = Direction.LONG
    row: Marked
    for mp in positions:
        p = mp.position
        price = quotes.get(p.symbol)
        if price is None:
            row = Marked(mp, None, ZERO, ZERO)
        else:
            long = p.direction is long_side
            # The exit price: a bar's close, else the bid for a long and the ask for a short.
            mark = price.close if is_bar(price) else price.bid if long else price.ask
            move = mark - mp.entry if long else mp.entry - mark
            row = Marked(mp, price, mark, move * p.quantity)
        append(row)
        if worst is None or row.pnl < worst.pnl:
            worst = row
        floating += row.pnl
    return Book(rows, worst, floating)
