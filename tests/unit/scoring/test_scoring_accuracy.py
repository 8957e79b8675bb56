"""learn_accuracy: per-(model, role) hit rate over a window, shrunk toward a prior."""

from __future__ import annotations

import pytest

from quorum.domain import Bias, Direction
from quorum.scoring import (
    AccuracyPrior,
    OpinionHit,
    accuracy_key,
    learn_accuracy,
    model_accuracy,
    stance_was_right,
)


def _hits(model: str, role: str, rights: list[bool], confidence: float = 0.8) -> list[OpinionHit]:
    return [OpinionHit(model=model, role=role, confidence=confidence, right=r) for r in rights]


def test_below_the_minimum_sample_nothing_is_learned() -> None:
    prior = AccuracyPrior(min_samples=20)
    assert learn_accuracy(_hits("m", "bull", [True] * 19), prior) == {}


def test_accuracy_is_shrunk_toward_the_prior() -> None:
    prior = AccuracyPrior(min_samples=10, window=100, prior=0.5, strength=20.0)
    learned = learn_accuracy(_hits("m", "bull", [True] * 10), prior)
    # (10 + 20 × 0.5) / (10 + 20): ten right calls out of ten are worth 0.667, not 1.0
    assert learned[accuracy_key("m", "bull")].accuracy == pytest.approx(20 / 30)
    assert learned["m"].accuracy == pytest.approx(20 / 30)
    assert learned["m"].role is None
    assert learned["m"].samples == 10


def test_only_the_last_window_counts() -> None:
    prior = AccuracyPrior(min_samples=5, window=10, strength=0.0, floor=0.0, cap=1.0)
    learned = learn_accuracy(_hits("m", "technical", [False] * 50 + [True] * 10), prior)
    assert learned["m#technical"].accuracy == 1.0
    assert learned["m#technical"].samples == 10


def test_roles_are_learned_apart_and_pooled_per_model() -> None:
    prior = AccuracyPrior(min_samples=4, strength=0.0, floor=0.0, cap=1.0)
    hits = _hits("m", "bull", [True] * 4) + _hits("m", "bear", [False] * 4)
    learned = learn_accuracy(hits, prior)
    assert learned["m#bull"].accuracy == 1.0
    assert learned["m#bear"].accuracy == 0.0
    assert learned["m"].accuracy == 0.5


def test_brier_uses_the_opinion_confidence() -> None:
    prior = AccuracyPrior(min_samples=2)
    learned = learn_accuracy(_hits("m", "bull", [True, False], confidence=0.6), prior)
    # p = (1 + 0.6) / 2 = 0.8: (0.2² + 0.8²) / 2
    assert learned["m"].brier == pytest.approx((0.04 + 0.64) / 2)


def test_lookup_prefers_the_role_then_the_model_then_the_default() -> None:
    accuracy = {"m#bull": 0.7, "m": 0.6}
    assert model_accuracy(accuracy, "m", "bull", 0.5) == 0.7
    assert model_accuracy(accuracy, "m", "bear", 0.5) == 0.6
    assert model_accuracy(accuracy, "other", "bull", 0.5) == 0.5


def test_prior_refuses_min_samples_above_window_and_prior_outside_bounds() -> None:
    with pytest.raises(ValueError, match="min_samples"):
        AccuracyPrior(window=10, min_samples=11)
    with pytest.raises(ValueError, match="prior"):
        AccuracyPrior(floor=0.3, prior=0.2)


@pytest.mark.parametrize(
    ("stance", "direction", "won", "right"),
    [
        (Bias.BULLISH, Direction.LONG, True, True),
        (Bias.BULLISH, Direction.LONG, False, False),
        (Bias.BEARISH, Direction.LONG, False, True),
        (Bias.BEARISH, Direction.SHORT, True, True),
        (Bias.NEUTRAL, Direction.LONG, True, None),
        (None, Direction.LONG, True, None),
    ],
)
def test_stance_was_right_compares_stance_trade_and_result(
    stance: Bias | None, direction: Direction, won: bool, right: bool | None
) -> None:
    assert stance_was_right(stance, direction, won) is right
