"""The account's one trading state (as NautilusTrader's ``TradingState``).

- ``active``: orders flow as the risk gate allows.
- ``reducing``: no new entries; only risk-reducing orders (an exit against the open
  position, for at most its size) are sent. An engaged kill switch is ``reducing`` until
  every position is flat, then ``halted``.
- ``halted``: nothing is sent; only cancels go out.

One persisted record (``trading_state``) holds it; every change is journaled with who,
why, from and to.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from quorum.domain.base import DomainModel, UtcDatetime


class TradingState(StrEnum):
    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"

    @property
    def engaged(self) -> bool:
        """True when the kill switch holds trading (``reducing`` or ``halted``)."""
        return self is not TradingState.ACTIVE


class TradingStatus(DomainModel):
    """The stored trading state: what it is, who set it, why, since when, its version."""

    state: TradingState = TradingState.ACTIVE
    by: str = Field(default="", max_length=120)
    reason: str = Field(default="", max_length=400)
    since: UtcDatetime | None = None
    version: int = Field(default=0, ge=0)
    """Bumped on every change (compare-and-set); 0 before the first change."""

    @property
    def engaged(self) -> bool:
        return self.state.engaged
