"""What a quality check found: problems with counts, repaired rows, gaps, staleness.

A :class:`QualityReport` is produced by every load, passed or not; a rejected
load raises :class:`QualityRejected`, which carries the report so a caller (the
``quorum data validate`` command) can show everything that was wrong, not only
the first rule that failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from quorum.domain import Timeframe
from quorum.errors import DataQualityError

__all__ = ["Gap", "Problem", "QualityRejected", "QualityReport", "RepairedRow"]

ProblemAction = Literal["rejected", "repaired", "reported"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Problem(_Frozen):
    """One rule that the data broke, how often, where first, and what was done about it."""

    rule: str
    action: ProblemAction
    count: int = Field(ge=0)
    first_ts: datetime | None
    first_row: int | None = None
    detail: str


class RepairedRow(_Frozen):
    """A row that a repair policy changed or dropped; repairs are never silent."""

    rule: str
    ts: datetime | None
    source_row: int | None = None
    action: str


class Gap(_Frozen):
    """Bars missing between two present bars: open times in ``[start, end)``."""

    start: datetime
    end: datetime
    missing_bars: int = Field(gt=0)


class QualityReport(_Frozen):
    """The outcome of :func:`quorum.market.quality.check_bars` for one load."""

    symbol: str
    timeframe: Timeframe
    checked_at: datetime
    source: str | None = None
    row_kind: str = "row"
    rows_in: int = Field(ge=0)
    rows_out: int = Field(ge=0)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    problems: tuple[Problem, ...] = ()
    repaired: tuple[RepairedRow, ...] = ()
    gaps: tuple[Gap, ...] = ()
    missing_bars: int = Field(default=0, ge=0)
    zero_volume: int = Field(default=0, ge=0)
    unclosed_dropped: int = Field(default=0, ge=0)
    stale: bool = False

    @property
    def passed(self) -> bool:
        """True when no problem was rejected (repairs and reports do not fail a load)."""
        return not any(p.action == "rejected" for p in self.problems)

    @property
    def rejected(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.action == "rejected")

    def problem(self, rule: str) -> Problem | None:
        """The problem recorded for ``rule``, if any."""
        return next((p for p in self.problems if p.rule == rule), None)

    def counts(self) -> dict[str, int]:
        """Rows affected per rule."""
        return {p.rule: p.count for p in self.problems}


class QualityRejected(DataQualityError):
    """A load broke a rule whose policy is ``reject``; nothing was returned or written.

    The message names the symbol, timeframe, first offending row and rule; the
    full :class:`QualityReport` is on ``report``.
    """

    def __init__(self, message: str, report: QualityReport) -> None:
        super().__init__(message)
        self.report = report
