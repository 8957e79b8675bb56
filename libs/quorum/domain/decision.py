"""Opinions, scores, signals and risk decisions: the analyze stage's values."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from quorum.domain.analysis import Bias
from quorum.domain.base import (
    MAX_STOP_FRACTION,
    MIN_STOP_FRACTION,
    Confidence,
    DomainModel,
    Leverage,
    NonNegativeDecimal,
    Price,
    UtcDatetime,
)
from quorum.domain.market import Direction, Symbol
from quorum.domain.timeframe import Timeframe


class AgentOpinion(DomainModel):
    """One analyst's structured view. ``stance=None`` is the typed "no opinion"."""

    agent: str = Field(min_length=1, max_length=64)
    symbol: Symbol
    as_of: UtcDatetime
    stance: Bias | None
    confidence: Confidence
    key_evidence: tuple[str, ...] = ()
    rationale: str = Field(default="", max_length=4000)
    model: str = Field(default="", max_length=200)
    prompt_version: str = Field(default="", max_length=64)
    no_opinion_reason: str | None = None

    @model_validator(mode="after")
    def _no_opinion_consistent(self) -> Self:
        if self.stance is None:
            if not self.no_opinion_reason:
                raise ValueError("no_opinion_reason: required when stance is None (no opinion)")
            if self.confidence != 0.0:
                raise ValueError("confidence: must be 0 when there is no opinion")
        elif self.no_opinion_reason is not None:
            raise ValueError("no_opinion_reason: only allowed when stance is None")
        return self

    @property
    def has_opinion(self) -> bool:
        return self.stance is not None


class ScoreComponent(DomainModel):
    """One term of a confluence score: its signed value, weight and contribution."""

    name: str = Field(min_length=1, max_length=120)
    value: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)
    weight: float = Field(ge=0.0, allow_inf_nan=False)
    contribution: float = Field(allow_inf_nan=False)


class ConfluenceScore(DomainModel):
    """Weighted evidence in [-1, 1]; sign is direction, magnitude is strength."""

    symbol: Symbol
    as_of: UtcDatetime
    score: float = Field(ge=-1.0, le=1.0, allow_inf_nan=False)
    probability: Confidence | None = None
    components: tuple[ScoreComponent, ...] = ()


def _check_protective_levels(
    direction: Direction, entry: Decimal, stop: Decimal, take_profit: Decimal | None
) -> None:
    """Stop on the losing side within [0.1%, 10%] of entry; take-profit on the winning side."""
    if direction is Direction.LONG and stop >= entry:
        raise ValueError(f"stop_loss: must be below entry for a long (stop={stop}, entry={entry})")
    if direction is Direction.SHORT and stop <= entry:
        raise ValueError(f"stop_loss: must be above entry for a short (stop={stop}, entry={entry})")
    distance = abs(entry - stop) / entry
    if not MIN_STOP_FRACTION <= distance <= MAX_STOP_FRACTION:
        raise ValueError(
            f"stop_loss: distance {distance:.4%} of entry is outside "
            f"[{MIN_STOP_FRACTION:.1%}, {MAX_STOP_FRACTION:.0%}]"
        )
    if take_profit is not None:
        wrong = take_profit <= entry if direction is Direction.LONG else take_profit >= entry
        if wrong:
            side = "above" if direction is Direction.LONG else "below"
            raise ValueError(
                f"take_profit: must be {side} entry for a {direction} "
                f"(take_profit={take_profit}, entry={entry})"
            )


class Signal(DomainModel):
    """A proposed trade: direction, entry, protective levels and calibrated confidence."""

    run_id: str = Field(min_length=1, max_length=64)
    strategy: str = Field(min_length=1, max_length=64)
    symbol: Symbol
    timeframe: Timeframe
    as_of: UtcDatetime
    direction: Direction
    entry: Price
    stop_loss: Price
    take_profit: Price | None = None
    confidence: Confidence
    leverage: Leverage = Decimal(1)
    explanation: str = Field(default="", max_length=4000)
    score: ConfluenceScore | None = None

    @model_validator(mode="after")
    def _levels(self) -> Self:
        _check_protective_levels(self.direction, self.entry, self.stop_loss, self.take_profit)
        return self

    @property
    def stop_distance(self) -> Decimal:
        """Stop distance as a fraction of entry."""
        return abs(self.entry - self.stop_loss) / self.entry


class Verdict(StrEnum):
    APPROVED = "approved"
    RESIZED = "resized"
    REJECTED = "rejected"


class RuleCheck(DomainModel):
    """The outcome of one risk rule: what was measured against which limit."""

    rule: str = Field(min_length=1, max_length=80)
    passed: bool
    measured: str = ""
    limit: str = ""
    message: str = ""


class RiskDecision(DomainModel):
    """The risk gate's answer for one signal."""

    symbol: Symbol
    as_of: UtcDatetime
    verdict: Verdict
    quantity: NonNegativeDecimal
    checks: tuple[RuleCheck, ...] = ()
    reason: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.verdict is Verdict.REJECTED:
            if self.quantity != 0:
                raise ValueError("quantity: must be 0 when the verdict is rejected")
            if not any(not c.passed for c in self.checks):
                raise ValueError("checks: a rejection must name at least one failed rule")
        elif self.quantity <= 0:
            raise ValueError(f"quantity: must be > 0 when the verdict is {self.verdict}")
        return self

    @property
    def approved(self) -> bool:
        return self.verdict is not Verdict.REJECTED

    @property
    def failed(self) -> tuple[RuleCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)
