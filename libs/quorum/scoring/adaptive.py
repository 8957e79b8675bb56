"""Closed trades → rewards → adaptive evidence multipliers.

Reward of a closed trade (:func:`trade_reward`), in [-1, 1]::

    reward = 0.5 × (+1 if won else −1) + 0.5 × clip(r_multiple / r_scale, −1, 1)

so the mean reward over trades rises with the win rate and with the expectancy / average R
(``r_scale`` = 2 R saturates the R part). ``won`` is ``pnl > 0``.

Credit: ``TradeOutcome.contributors`` maps a score component name (or an arm name) to its
signed contribution *toward the trade* (:func:`trade_contributors` builds it from the score).
Components map to arms with :func:`arm_of` — ``"{tf}:pattern:{family}:{name}"`` →
``"pattern:{family}"``, ``"llm:{agent}"`` → ``"llm:{agent}"``; indicators and regime have no
arm. Per trade each arm's contributions are summed: an arm that supported the trade gets
``+reward``, one that argued against it ``−reward`` (it was right when the trade lost).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Self

from pydantic import Field, field_validator, model_validator

from quorum.domain import (
    ConfluenceScore,
    Direction,
    DomainModel,
    Money,
    PatternFamily,
    Symbol,
    UtcDatetime,
)
from quorum.errors import ValidationFailed
from quorum.scoring.bandits import Bandit
from quorum.scoring.settings import EvidenceWeights

PATTERN_ARM = "pattern:"
ANALYST_ARM = "llm:"


class TradeOutcome(DomainModel):
    """A closed trade and the evidence that argued for (or against) it."""

    symbol: Symbol
    direction: Direction
    entry_time: UtcDatetime
    exit_time: UtcDatetime
    r_multiple: float = Field(allow_inf_nan=False)
    pnl: Money
    contributors: dict[str, float] = Field(default_factory=dict)

    @field_validator("contributors")
    @classmethod
    def _finite(cls, contributors: dict[str, float]) -> dict[str, float]:
        for name, value in contributors.items():
            if not math.isfinite(value):
                raise ValueError(f"contributors[{name!r}] must be finite (got {value})")
        return contributors

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.exit_time < self.entry_time:
            raise ValueError(
                f"exit_time: must not be before entry_time ({self.exit_time.isoformat()} < "
                f"{self.entry_time.isoformat()})"
            )
        return self

    @property
    def won(self) -> bool:
        return self.pnl > 0


def trade_reward(won: bool, r_multiple: float, r_scale: float = 2.0) -> float:
    """Reward in [-1, 1] of one closed trade (see the module docstring)."""
    if not math.isfinite(r_multiple):
        raise ValidationFailed("r_multiple", "must be finite", r_multiple)
    if not (math.isfinite(r_scale) and r_scale > 0):
        raise ValidationFailed("r_scale", "must be finite and > 0", r_scale)
    r_part = max(-1.0, min(1.0, r_multiple / r_scale))
    return 0.5 * (1.0 if won else -1.0) + 0.5 * r_part


def family_arm(family: PatternFamily | str) -> str:
    return f"{PATTERN_ARM}{PatternFamily(family).value}"


def analyst_arm(agent: str) -> str:
    return f"{ANALYST_ARM}{agent}"


def arm_of(name: str) -> str | None:
    """The arm a component (or arm) name credits, or None for indicators and regime."""
    base = name.split("#", 1)[0]
    if base.startswith(ANALYST_ARM):
        return base
    parts = base.split(":")
    if len(parts) == 2 and parts[0] == "pattern":
        return base
    if len(parts) >= 4 and parts[1] == "pattern":
        return f"{PATTERN_ARM}{parts[2]}"
    return None


def trade_contributors(score: ConfluenceScore, direction: Direction) -> dict[str, float]:
    """Each component's contribution toward a trade in ``direction`` (zeros left out)."""
    sign = 1.0 if direction is Direction.LONG else -1.0
    return {c.name: sign * c.contribution for c in score.components if c.contribution != 0.0}


def arm_credit(outcome: TradeOutcome) -> dict[str, float]:
    """Net signed contribution toward the trade per arm (arms with a net 0 left out)."""
    net: dict[str, float] = {}
    for name, value in outcome.contributors.items():
        arm = arm_of(name)
        if arm is not None:
            net[arm] = net.get(arm, 0.0) + value
    return {arm: value for arm, value in sorted(net.items()) if value != 0.0}


def update_weights(
    weights: EvidenceWeights, outcomes: Sequence[TradeOutcome], bandit: Bandit
) -> EvidenceWeights:
    """Feed ``outcomes`` (by exit time) to ``bandit``; return the weights it now holds.

    Arms the bandit does not know are skipped. The bandit is the state: its weights replace
    those in ``weights``; sources the bandit does not track keep their value.
    """
    for outcome in sorted(outcomes, key=lambda o: o.exit_time):
        reward = trade_reward(outcome.won, outcome.r_multiple)
        for arm, credit in arm_credit(outcome).items():
            if arm in bandit.arms:
                bandit.update(arm, reward if credit > 0 else -reward)
    families = dict(weights.families)
    analysts = dict(weights.analysts)
    for arm, value in bandit.weights().items():
        if arm.startswith(PATTERN_ARM):
            families[arm.removeprefix(PATTERN_ARM)] = value
        elif arm.startswith(ANALYST_ARM):
            analysts[arm.removeprefix(ANALYST_ARM)] = value
    return EvidenceWeights(families=families, analysts=analysts)
