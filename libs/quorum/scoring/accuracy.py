"""Per-model accuracy from closed trades: a bounded EMA of the hit rate.

The router's accuracy-first policy reads these numbers; the router persists them.
An opinion was *right* (:func:`opinion_was_right`) when it agreed with the trade's direction
and the trade won, or disagreed and the trade lost; neutral and "no opinion" are not scored.

For each hit flag, in order: ``acc ← acc + clip(alpha × (hit − acc), ±max_step)``, kept within
``max_window_change`` of the value before this call (one call = one window) and within
[floor, cap]. A model seen for the first time starts at ``initial``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from pydantic import Field, model_validator

from quorum.domain import AgentOpinion, Bias, Direction, DomainModel
from quorum.scoring.adaptive import TradeOutcome


class AccuracyLimits(DomainModel):
    """Bounds of the model accuracy update."""

    alpha: float = Field(default=0.05, gt=0.0, le=1.0, allow_inf_nan=False)
    max_step: float = Field(default=0.02, gt=0.0, allow_inf_nan=False)
    max_window_change: float = Field(default=0.1, gt=0.0, allow_inf_nan=False)
    floor: float = Field(default=0.05, ge=0.0, le=1.0, allow_inf_nan=False)
    cap: float = Field(default=0.95, ge=0.0, le=1.0, allow_inf_nan=False)
    initial: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.floor <= self.initial <= self.cap:
            raise ValueError(
                f"initial: must be within [floor, cap] = [{self.floor}, {self.cap}] "
                f"(got {self.initial})"
            )
        return self


def opinion_was_right(opinion: AgentOpinion, outcome: TradeOutcome) -> bool | None:
    """Whether ``opinion`` called ``outcome`` right; None for neutral or no opinion."""
    if opinion.stance is None or opinion.stance is Bias.NEUTRAL:
        return None
    trade_sign = 1 if outcome.direction is Direction.LONG else -1
    agreed = opinion.stance.sign == trade_sign
    return agreed == outcome.won


def update_model_accuracy(
    accuracy: Mapping[str, float],
    outcomes_by_model: Mapping[str, Sequence[bool]],
    limits: AccuracyLimits | None = None,
) -> dict[str, float]:
    """``accuracy`` updated with each model's hit flags (in time order); a new dict."""
    lim = limits or AccuracyLimits()
    out = dict(accuracy)
    for model in sorted(outcomes_by_model):
        start = min(lim.cap, max(lim.floor, out.get(model, lim.initial)))
        acc = start
        for hit in outcomes_by_model[model]:
            step = lim.alpha * ((1.0 if hit else 0.0) - acc)
            acc += max(-lim.max_step, min(lim.max_step, step))
            acc = min(start + lim.max_window_change, max(start - lim.max_window_change, acc))
            acc = min(lim.cap, max(lim.floor, acc))
        out[model] = acc
    return out
