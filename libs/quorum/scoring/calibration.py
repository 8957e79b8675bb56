"""Calibration: raw score → probability of a winning trade, and its reliability.

A calibrator is fitted on past closed trades as pairs (strength, won). The *strength* is
the signed score times the trade direction (+1 long, −1 short): the score's strength
toward the trade taken, in [-1, 1] (:func:`strength_toward`). ``probability`` is
non-decreasing in the strength and lies in [0, 1].

Two methods, both implemented here with numpy (no scipy / scikit-learn):

* ``"isotonic"`` — pool-adjacent-violators (PAV) on the win indicators sorted by strength;
  each pooled block then gets the Beta-binomial posterior mean
  ``(wins + prior_wins) / (n + prior_wins + prior_losses)`` and a second weighted PAV pass
  restores monotonicity the prior may have broken. Knots at the blocks' mean strength.
* ``"bayes_bins"`` — ``bins`` equal-width bins over [-1, 1], each with the same posterior
  mean (an empty bin gets the prior mean), made monotone by weighted PAV. Knots at the
  bin centres.

Between knots the probability is interpolated linearly, beyond them it is flat. With no
data — or thin data, at the caller's choice — :meth:`Calibrator.prior_only` gives the
prior mean everywhere. ``window`` fits on the most recent outcomes only (inputs in time
order), which is how a rolling calibration is refreshed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from quorum.domain import ConfluenceScore, Direction, DomainModel
from quorum.errors import ValidationFailed

Method = Literal["isotonic", "bayes_bins"]
FloatArray = npt.NDArray[np.float64]

PriorCount = Field(gt=0.0, allow_inf_nan=False)


def pool_adjacent_violators(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted least-squares non-decreasing fit of ``values`` (PAV); weights must be > 0."""
    means: list[float] = []
    sizes: list[float] = []
    counts: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(float(value))
        sizes.append(float(weight))
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            size = sizes[-2] + sizes[-1]
            mean = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / size
            count = counts[-2] + counts[-1]
            del means[-1], sizes[-1], counts[-1]
            means[-1], sizes[-1], counts[-1] = mean, size, count
    return np.repeat(np.asarray(means, dtype=np.float64), counts)


def _blocks(fitted: FloatArray) -> list[tuple[int, int]]:
    """[start, end) ranges of equal consecutive values."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(fitted) + 1):
        if i == len(fitted) or fitted[i] != fitted[start]:
            out.append((start, i))
            start = i
    return out


class Calibrator(DomainModel):
    """A fitted, monotone map from strength toward the trade to win probability."""

    method: Literal["isotonic", "bayes_bins", "prior"]
    knots_x: tuple[float, ...] = Field(min_length=1)
    knots_p: tuple[float, ...] = Field(min_length=1)
    prior_wins: float = PriorCount
    prior_losses: float = PriorCount
    samples: int = Field(ge=0)

    @model_validator(mode="after")
    def _monotone(self) -> Self:
        if len(self.knots_x) != len(self.knots_p):
            raise ValueError("knots_p: must have one probability per knot in knots_x")
        if any(b <= a for a, b in zip(self.knots_x, self.knots_x[1:], strict=False)):
            raise ValueError("knots_x: must be strictly increasing")
        if any(b < a for a, b in zip(self.knots_p, self.knots_p[1:], strict=False)):
            raise ValueError("knots_p: must be non-decreasing")
        if not all(0.0 <= p <= 1.0 for p in self.knots_p):
            raise ValueError("knots_p: every probability must be in [0, 1]")
        return self

    @classmethod
    def prior_only(cls, prior_wins: float = 1.0, prior_losses: float = 1.0) -> Calibrator:
        """The prior mean ``prior_wins / (prior_wins + prior_losses)`` for every strength."""
        _check_prior(prior_wins, prior_losses)
        mean = prior_wins / (prior_wins + prior_losses)
        return cls(
            method="prior",
            knots_x=(0.0,),
            knots_p=(mean,),
            prior_wins=prior_wins,
            prior_losses=prior_losses,
            samples=0,
        )

    def probability(self, strength: float) -> float:
        """Win probability for ``strength`` (score × trade direction), clipped to [-1, 1]."""
        if not math.isfinite(strength):
            raise ValidationFailed("strength", "must be finite", strength)
        x = max(-1.0, min(1.0, strength))
        p = float(np.interp(x, self.knots_x, self.knots_p))
        return max(0.0, min(1.0, p))


def strength_toward(score: float, direction: Direction) -> float:
    """The score's strength toward a trade in ``direction``: ``score`` long, ``-score`` short."""
    return score if direction is Direction.LONG else -score


def calibrated(score: ConfluenceScore, calibrator: Calibrator) -> ConfluenceScore:
    """``score`` with ``probability`` set for a trade in the score's own direction."""
    probability = calibrator.probability(abs(score.score))
    return ConfluenceScore(
        symbol=score.symbol,
        as_of=score.as_of,
        score=score.score,
        probability=probability,
        components=score.components,
    )


def _check_prior(prior_wins: float, prior_losses: float) -> None:
    for name, value in (("prior_wins", prior_wins), ("prior_losses", prior_losses)):
        if not (math.isfinite(value) and value > 0):
            raise ValidationFailed(name, "must be finite and > 0", value)


def _inputs(
    scores: Sequence[float], wins: Sequence[bool], window: int | None
) -> tuple[FloatArray, FloatArray]:
    if len(scores) != len(wins):
        raise ValidationFailed("wins", f"must have one entry per score ({len(scores)})", len(wins))
    if window is not None:
        if window < 1:
            raise ValidationFailed("window", "must be >= 1", window)
        scores, wins = scores[-window:], wins[-window:]
    x = np.asarray(scores, dtype=np.float64)
    if not np.all(np.isfinite(x)) or np.any(np.abs(x) > 1.0):
        raise ValidationFailed("scores", "every score must be finite and in [-1, 1]")
    return x, np.asarray(wins, dtype=np.float64)


def _isotonic(x: FloatArray, y: FloatArray, a: float, b: float) -> tuple[list[float], list[float]]:
    _, inverse = np.unique(x, return_inverse=True)
    counts = np.bincount(inverse).astype(np.float64)
    won = np.bincount(inverse, weights=y)
    xsum = np.bincount(inverse, weights=x)
    fitted = pool_adjacent_violators(won / counts, counts)
    centres: list[float] = []
    posterior: list[float] = []
    sizes: list[float] = []
    for start, end in _blocks(fitted):
        n = float(counts[start:end].sum())
        centres.append(float(xsum[start:end].sum()) / n)
        posterior.append((float(won[start:end].sum()) + a) / (n + a + b))
        sizes.append(n + a + b)
    smooth = pool_adjacent_violators(np.asarray(posterior), np.asarray(sizes))
    return centres, smooth.tolist()


def _bayes_bins(
    x: FloatArray, y: FloatArray, a: float, b: float, bins: int
) -> tuple[list[float], list[float]]:
    index = np.clip(np.floor((x + 1.0) / 2.0 * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount(index, minlength=bins).astype(np.float64)
    won = np.bincount(index, weights=y, minlength=bins)
    posterior = (won + a) / (counts + a + b)
    smooth = pool_adjacent_violators(posterior, counts + a + b)
    centres = (-1.0 + (np.arange(bins) + 0.5) * 2.0 / bins).tolist()
    return centres, smooth.tolist()


def fit_calibration(
    scores: Sequence[float],
    wins: Sequence[bool],
    method: Method = "isotonic",
    prior_wins: float = 1.0,
    prior_losses: float = 1.0,
    bins: int = 10,
    *,
    window: int | None = None,
) -> Calibrator:
    """Fit a calibrator on (strength toward the trade, won) pairs in time order.

    ``bins`` is used by ``"bayes_bins"`` only. No data gives :meth:`Calibrator.prior_only`.
    """
    _check_prior(prior_wins, prior_losses)
    if bins < 1:
        raise ValidationFailed("bins", "must be >= 1", bins)
    x, y = _inputs(scores, wins, window)
    if x.size == 0:
        return Calibrator.prior_only(prior_wins, prior_losses)
    if method == "isotonic":
        centres, probs = _isotonic(x, y, prior_wins, prior_losses)
    elif method == "bayes_bins":
        centres, probs = _bayes_bins(x, y, prior_wins, prior_losses, bins)
    else:
        raise ValidationFailed("method", "must be 'isotonic' or 'bayes_bins'", method)
    return Calibrator(
        method=method,
        knots_x=tuple(centres),
        knots_p=tuple(min(1.0, max(0.0, p)) for p in probs),
        prior_wins=prior_wins,
        prior_losses=prior_losses,
        samples=int(x.size),
    )
