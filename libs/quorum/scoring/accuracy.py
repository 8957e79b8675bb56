"""Per-(model, role) accuracy learned from closed trades: a rolling window with a prior.

An opinion was *right* (:func:`stance_was_right`) when it agreed with the trade's direction
and the trade won, or disagreed and the trade lost; neutral and "no opinion" are not scored.
The *role* is the analyst that gave the opinion (``technical``, ``patterns``, ``regime``,
``bull``, ``bear``): the same model may read charts well and argue badly.

For each (model, role), over its last ``window`` scored opinions (``n`` of them, ``h`` right):

* below ``min_samples`` nothing is learned: the key is left out and callers keep their prior
  (the registry's accuracy for routing, ``default_model_accuracy`` for the score) — a model
  is never re-ranked on five trades;
* otherwise ``accuracy = (h + strength × prior) / (n + strength)`` (a Beta prior worth
  ``strength`` pseudo-opinions at ``prior``), kept within [floor, cap]. With the defaults
  (prior 0.5, strength 20) ten right calls out of ten give 0.67, not 1.0.

The same is done per model over all its roles (the router ranks models, not roles).
``brier`` is the mean of ``(p − right)²`` with ``p = (1 + confidence) / 2``, the opinion's
own probability of being right — lower is better; 0.25 is a coin flip.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import Field

from quorum.domain import Bias, Direction, DomainModel
from quorum.scoring.settings import AccuracyPrior

ROLE_SEPARATOR = "#"


class OpinionHit(DomainModel):
    """One scored opinion of a closed trade: who gave it, how sure, whether it was right."""

    model: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=64)
    confidence: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    right: bool


class LearnedAccuracy(DomainModel):
    """The learned accuracy of one model (``role`` None: over all its roles)."""

    model: str
    role: str | None = None
    samples: int = Field(ge=0)
    hits: int = Field(ge=0)
    accuracy: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    brier: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)


def accuracy_key(model: str, role: str | None = None) -> str:
    """The key of a (model, role) accuracy in an accuracy map; the model alone when pooled."""
    return model if role is None else f"{model}{ROLE_SEPARATOR}{role}"


def model_accuracy(accuracy: Mapping[str, float], model: str, role: str, default: float) -> float:
    """The (model, role) accuracy, else the model's pooled one, else ``default``."""
    return accuracy.get(accuracy_key(model, role), accuracy.get(model, default))


def stance_was_right(stance: Bias | None, direction: Direction, won: bool) -> bool | None:
    """Whether ``stance`` called a ``direction`` trade that ``won`` right (None: not scored)."""
    if stance is None or stance is Bias.NEUTRAL:
        return None
    agreed = stance.sign == (1 if direction is Direction.LONG else -1)
    return agreed == won


def opinion_brier(confidence: float, right: bool) -> float:
    """``(p − right)²`` with ``p = (1 + confidence) / 2``: the opinion's squared error."""
    return ((1.0 + confidence) / 2.0 - float(right)) ** 2


def _learn(
    model: str, role: str | None, hits: Sequence[OpinionHit], prior: AccuracyPrior
) -> LearnedAccuracy | None:
    recent = hits[-prior.window :]
    if len(recent) < prior.min_samples:
        return None
    right = sum(h.right for h in recent)
    shrunk = (right + prior.strength * prior.prior) / (len(recent) + prior.strength)
    brier = sum(opinion_brier(h.confidence, h.right) for h in recent) / len(recent)
    return LearnedAccuracy(
        model=model,
        role=role,
        samples=len(recent),
        hits=right,
        accuracy=min(prior.cap, max(prior.floor, shrunk)),
        brier=brier,
    )


def learn_accuracy(
    hits: Iterable[OpinionHit], prior: AccuracyPrior | None = None
) -> dict[str, LearnedAccuracy]:
    """Learned accuracy per :func:`accuracy_key` from ``hits`` in time order (oldest first);
    keys below ``min_samples`` are left out."""
    lim = prior or AccuracyPrior()
    by_key: dict[tuple[str, str | None], list[OpinionHit]] = {}
    for hit in hits:
        by_key.setdefault((hit.model, hit.role), []).append(hit)
        by_key.setdefault((hit.model, None), []).append(hit)
    out: dict[str, LearnedAccuracy] = {}
    for (model, role), items in sorted(by_key.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        learned = _learn(model, role, items, lim)
        if learned is not None:
            out[accuracy_key(model, role)] = learned
    return out
