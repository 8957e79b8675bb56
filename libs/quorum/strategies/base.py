"""The rule-strategy interface: what a deterministic strategy sees and what it may propose.

A rule strategy is a small object fed every closed base bar of every symbol of the run,
oldest first, exactly once (``on_bar``), together with what the book holds in that symbol.
It keeps whatever state it needs (indicator recurrences, counters) and answers with one of:

- :class:`Enter` — propose an entry at the bar's close with a protective stop and an
  optional take-profit. The pipeline turns it into a :class:`~quorum.domain.Signal` and
  sends it through the one decision-commit path (risk gate → journal → stored intent →
  execution), exactly as an LLM-driven analysis is committed;
- :class:`Exit` — ask to close the open trade in that symbol (a reduce-only market exit,
  checked by the risk gate's ``evaluate_exit``);
- ``None`` — nothing to do.

A strategy never sees a bar before it closed, never reads a clock or a database, and never
places an order itself; the same object runs in ``quorum run``, ``quorum backtest`` and
every other driver of the pipeline. See docs/ARCHITECTURE.md, "Adding a rule strategy".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from quorum.domain import Bar, Direction


class Holding(StrEnum):
    """What the book holds in the symbol when the bar is handed over."""

    FLAT = "flat"
    PENDING = "pending"
    """An entry was approved and is waiting to fill."""
    LONG = "long"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class Enter:
    """Enter ``direction`` at the bar's close; ``stop_loss`` is required by the risk gate."""

    direction: Direction
    stop_loss: Decimal
    take_profit: Decimal | None
    explanation: str
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Exit:
    """Close the open trade in the symbol at the next price the venue gives."""

    explanation: str


type Proposal = Enter | Exit | None


class RuleStrategy(Protocol):
    """A deterministic strategy (see module doc)."""

    @property
    def name(self) -> str:
        """Unique name with parameters; the signals' ``strategy`` and part of client ids."""
        ...

    def on_bar(self, bar: Bar, holding: Holding) -> Proposal:
        """The next closed base bar of ``bar.symbol``; what to do at its close."""
        ...


def price_tick(price: Decimal) -> Decimal:
    """Seven significant digits of ``price``: the precision strategies quote levels in."""
    return Decimal(1).scaleb(price.adjusted() - 6)
