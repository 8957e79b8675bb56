"""Bounded ε-greedy and UCB1 bandits over evidence sources ("arms").

An arm is a pattern family (``"pattern:breakout"``) or an analyst (``"llm:technical"``).
Every closed trade an arm took part in is one pull with a reward in [-1, 1]
(:func:`quorum.scoring.adaptive.trade_reward`, sign-flipped when the arm argued against the
trade). Because every arm that voted receives feedback, the bandits here estimate value and
turn it into a weight multiplier rather than choosing a single arm to play:

* value estimate per arm: running mean reward, with step ``max(1/n, 1/memory)`` so that old
  outcomes fade and drifting informativeness is tracked;
* score: ε-greedy — the estimate; UCB1 — the estimate plus ``c·√(2 ln N / n)`` (optimism
  for arms seen rarely; N = all pulls);
* target multiplier: ``1 + gain × (score − mean score of the arms seen so far)``, clipped to
  [floor, cap]; arms never pulled keep their weight;
* ε-greedy exploration: on each update, with probability ε (seeded generator) one uniformly
  chosen arm is explored — its target is raised to at least 1 (neutral) so a down-weighted
  source gets another chance.

Limits (:class:`BanditLimits`) bound every move: each update moves a weight by at most
``max_step``; within a window of ``window`` updates a weight stays within
``max_window_change`` of its value at the window's start; every weight stays in
[floor, cap]. No streak, however long, can swing a weight further. Same seed and same
updates give the same weights.

Defaults (``gain`` 12, ``memory`` 100, the limits below) were tuned on the seeded synthetic
walk-forward in ``tests/integration/scoring/test_scoring_walk_forward.py``; one trade updates
every arm that voted on it, so ``window`` and ``memory`` count updates, not trades.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
from pydantic import Field

from quorum.domain import DomainModel
from quorum.errors import ValidationFailed

FloatArray = npt.NDArray[np.float64]


class BanditLimits(DomainModel):
    """Bounds on adaptive weight changes (see the module docstring)."""

    max_step: float = Field(default=0.05, gt=0.0, allow_inf_nan=False)
    max_window_change: float = Field(default=0.5, gt=0.0, allow_inf_nan=False)
    window: int = Field(default=50, ge=1)
    floor: float = Field(default=0.25, gt=0.0, le=1.0, allow_inf_nan=False)
    cap: float = Field(default=2.5, ge=1.0, allow_inf_nan=False)


class Bandit(ABC):
    """Shared state and bounded weight moves of :class:`EpsilonGreedy` and :class:`UCB1`."""

    def __init__(
        self,
        arms: Sequence[str],
        seed: int,
        limits: BanditLimits | None = None,
        *,
        gain: float = 12.0,
        memory: int = 100,
        initial: Mapping[str, float] | None = None,
    ) -> None:
        if not arms:
            raise ValidationFailed("arms", "must name at least one arm")
        if len(set(arms)) != len(arms):
            raise ValidationFailed("arms", "must be unique", list(arms))
        if not (math.isfinite(gain) and gain > 0):
            raise ValidationFailed("gain", "must be finite and > 0", gain)
        if memory < 1:
            raise ValidationFailed("memory", "must be >= 1", memory)
        self.limits = limits or BanditLimits()
        self.arms: tuple[str, ...] = tuple(arms)
        self.gain = gain
        self.memory = memory
        self._rng = np.random.default_rng(seed)
        self._index = {arm: i for i, arm in enumerate(self.arms)}
        self._count = np.zeros(len(self.arms), dtype=np.int64)
        self._mean = np.zeros(len(self.arms), dtype=np.float64)
        start = initial or {}
        raw = [float(start.get(arm, 1.0)) for arm in self.arms]
        if not all(math.isfinite(w) for w in raw):
            raise ValidationFailed("initial", "every weight must be finite", dict(start))
        self._weights = np.clip(np.asarray(raw), self.limits.floor, self.limits.cap)
        self._anchor = self._weights.copy()
        self._in_window = 0
        self.pulls = 0

    def weights(self) -> dict[str, float]:
        """Current multiplier per arm, in [floor, cap]."""
        return dict(zip(self.arms, self._weights.tolist(), strict=True))

    def counts(self) -> dict[str, int]:
        """Number of rewards recorded per arm."""
        return dict(zip(self.arms, self._count.tolist(), strict=True))

    def update(self, arm: str, reward: float) -> None:
        """Record one reward in [-1, 1] for ``arm`` and move every weight within the limits."""
        i = self._index.get(arm)
        if i is None:
            raise ValidationFailed("arm", f"must be one of {list(self.arms)}", arm)
        if not (math.isfinite(reward) and -1.0 <= reward <= 1.0):
            raise ValidationFailed("reward", "must be finite and in [-1, 1]", reward)
        self._count[i] += 1
        self.pulls += 1
        step = max(1.0 / float(self._count[i]), 1.0 / self.memory)
        self._mean[i] += step * (reward - self._mean[i])
        if self._in_window == self.limits.window:
            self._anchor = self._weights.copy()
            self._in_window = 0
        self._move(self._targets())
        self._in_window += 1

    @abstractmethod
    def _scores(self) -> FloatArray:
        """The value score of every arm (only arms pulled at least once are read)."""

    def _targets(self) -> FloatArray:
        seen = self._count > 0
        scores = self._scores()
        centre = float(scores[seen].sum()) / int(seen.sum())
        targets = self._weights.copy()
        raised = 1.0 + self.gain * (scores[seen] - centre)
        targets[seen] = np.minimum(np.maximum(raised, self.limits.floor), self.limits.cap)
        return targets

    def _move(self, targets: FloatArray) -> None:
        lim = self.limits
        delta = np.minimum(np.maximum(targets - self._weights, -lim.max_step), lim.max_step)
        low = np.maximum(self._anchor - lim.max_window_change, lim.floor)
        high = np.minimum(self._anchor + lim.max_window_change, lim.cap)
        self._weights = np.minimum(np.maximum(self._weights + delta, low), high)


class EpsilonGreedy(Bandit):
    """ε-greedy: weights follow the estimates; with probability ε one arm is explored."""

    def __init__(
        self,
        arms: Sequence[str],
        epsilon: float = 0.1,
        seed: int = 0,
        limits: BanditLimits | None = None,
        *,
        gain: float = 12.0,
        memory: int = 100,
        initial: Mapping[str, float] | None = None,
    ) -> None:
        if not (math.isfinite(epsilon) and 0.0 <= epsilon <= 1.0):
            raise ValidationFailed("epsilon", "must be in [0, 1]", epsilon)
        super().__init__(arms, seed, limits, gain=gain, memory=memory, initial=initial)
        self.epsilon = epsilon

    def _scores(self) -> FloatArray:
        return self._mean.copy()

    def _targets(self) -> FloatArray:
        targets = super()._targets()
        if self._rng.random() < self.epsilon:
            explored = int(self._rng.integers(len(self.arms)))
            targets[explored] = max(float(targets[explored]), 1.0)
        return targets


class UCB1(Bandit):
    """UCB1: weights follow ``mean + c·√(2 ln N / n)``; deterministic given the updates.

    ``seed`` is accepted for the same construction as :class:`EpsilonGreedy`; UCB1 draws
    no random numbers.
    """

    def __init__(
        self,
        arms: Sequence[str],
        seed: int = 0,
        limits: BanditLimits | None = None,
        *,
        c: float = 0.25,
        gain: float = 12.0,
        memory: int = 100,
        initial: Mapping[str, float] | None = None,
    ) -> None:
        if not (math.isfinite(c) and c >= 0):
            raise ValidationFailed("c", "must be finite and >= 0", c)
        super().__init__(arms, seed, limits, gain=gain, memory=memory, initial=initial)
        self.c = c

    def _scores(self) -> FloatArray:
        total = math.log(max(self.pulls, 1))
        counts = np.maximum(self._count, 1).astype(np.float64)
        bonus = self.c * np.sqrt(2.0 * total / counts)
        return np.where(self._count > 0, self._mean + bonus, self._mean)
