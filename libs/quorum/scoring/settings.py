"""Scoring settings and the adaptive evidence multipliers, frozen and strict.

:class:`ScoringSettings` holds the static weights of the confluence score; it is defined
with the configuration (``quorum.config.settings.scoring``) and re-exported here.
:class:`EvidenceWeights` holds the adaptive multipliers learned from closed trades (see
:mod:`quorum.scoring.adaptive`).
"""

from __future__ import annotations

from pydantic import Field

from quorum.config.settings.scoring import (
    INDICATOR_SIGNALS,
    AccuracyPrior,
    NonNegative,
    Positive,
    ScoringSettings,
    Unit,
)
from quorum.domain import DomainModel

__all__ = [
    "INDICATOR_SIGNALS",
    "AccuracyPrior",
    "EvidenceWeights",
    "NonNegative",
    "Positive",
    "ScoringSettings",
    "Unit",
]


class EvidenceWeights(DomainModel):
    """Adaptive multipliers per pattern family (``PatternFamily`` value) and analyst name.

    A source absent from the maps has multiplier 1.0.
    """

    families: dict[str, NonNegative] = Field(default_factory=dict)
    analysts: dict[str, NonNegative] = Field(default_factory=dict)

    def family(self, name: str) -> float:
        return self.families.get(name, 1.0)

    def analyst(self, name: str) -> float:
        return self.analysts.get(name, 1.0)
