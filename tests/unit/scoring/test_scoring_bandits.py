"""EpsilonGreedy and UCB1: learning direction, limits, validation and reproducibility."""

from __future__ import annotations

import pytest

from quorum.errors import ValidationFailed
from quorum.scoring import UCB1, Bandit, BanditLimits, EpsilonGreedy

ARMS = ("pattern:breakout", "pattern:candlestick", "llm:technical")


def _feed(bandit: Bandit, rounds: int) -> None:
    for i in range(rounds):
        bandit.update("pattern:breakout", 0.8)
        bandit.update("pattern:candlestick", 0.8 if i % 2 else -0.8)
        bandit.update("llm:technical", -0.8)


@pytest.mark.parametrize("make", [lambda: EpsilonGreedy(ARMS, 0.1, 7), lambda: UCB1(ARMS, 7)])
def test_rewarded_arm_gains_weight_and_punished_arm_loses_it(make: object) -> None:
    bandit: Bandit = make()  # type: ignore[operator]
    _feed(bandit, 200)
    w = bandit.weights()
    assert w["pattern:breakout"] > w["pattern:candlestick"] > w["llm:technical"]
    assert w["pattern:breakout"] == pytest.approx(2.5)
    assert w["llm:technical"] == pytest.approx(0.25)


def test_one_update_moves_each_weight_by_at_most_max_step() -> None:
    bandit = EpsilonGreedy(ARMS, 0.0, 1, BanditLimits(max_step=0.05))
    bandit.update("pattern:breakout", 1.0)
    bandit.update("llm:technical", -1.0)
    before = bandit.weights()
    bandit.update("pattern:breakout", 1.0)
    after = bandit.weights()
    assert all(abs(after[a] - before[a]) <= 0.05 + 1e-12 for a in ARMS)
    assert after["pattern:breakout"] - before["pattern:breakout"] == pytest.approx(0.05)


def test_a_long_streak_cannot_move_a_weight_past_the_window_limit() -> None:
    limits = BanditLimits(max_step=0.1, max_window_change=0.3, window=20, cap=3.0)
    bandit = EpsilonGreedy(ARMS, 0.0, 1, limits)
    bandit.update("llm:technical", -1.0)
    for _ in range(19):
        bandit.update("pattern:breakout", 1.0)
    assert bandit.weights()["pattern:breakout"] <= 1.3 + 1e-12
    for _ in range(20):
        bandit.update("pattern:breakout", 1.0)
    assert bandit.weights()["pattern:breakout"] <= 1.6 + 1e-12


def test_arms_never_pulled_keep_their_initial_weight() -> None:
    bandit = UCB1(ARMS, 0, initial={"llm:technical": 1.7})
    bandit.update("pattern:breakout", 1.0)
    assert bandit.weights()["llm:technical"] == 1.7


def test_initial_weights_are_clipped_to_floor_and_cap() -> None:
    bandit = EpsilonGreedy(ARMS, 0.1, 0, initial={"pattern:breakout": 9.0, "llm:technical": 0.0})
    assert bandit.weights()["pattern:breakout"] == 2.5
    assert bandit.weights()["llm:technical"] == 0.25


def test_same_seed_gives_the_same_weights_and_another_seed_may_differ() -> None:
    def run(seed: int) -> dict[str, float]:
        bandit = EpsilonGreedy(ARMS, 0.5, seed)
        _feed(bandit, 30)
        return bandit.weights()

    assert run(3) == run(3)
    assert any(run(3) != run(s) for s in range(4, 10))


def test_ucb1_favours_the_arm_seen_less_often_at_equal_mean() -> None:
    bandit = UCB1(("a", "b"), 0, c=1.0)
    for _ in range(50):
        bandit.update("a", 0.5)
    for _ in range(2):
        bandit.update("b", 0.5)
    assert bandit.weights()["b"] > bandit.weights()["a"]
    assert bandit.counts() == {"a": 50, "b": 2}


@pytest.mark.parametrize(("arm", "reward", "field"), [("x", 0.5, "arm"), ("a", 1.5, "reward")])
def test_update_refuses_unknown_arm_and_reward_out_of_range(
    arm: str, reward: float, field: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        EpsilonGreedy(("a",), 0.1, 0).update(arm, reward)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"arms": ()}, "arms"),
        ({"arms": ("a", "a")}, "arms"),
        ({"arms": ("a",), "epsilon": 1.5}, "epsilon"),
        ({"arms": ("a",), "gain": 0.0}, "gain"),
        ({"arms": ("a",), "memory": 0}, "memory"),
    ],
)
def test_construction_refuses_bad_parameters(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed, match=field):
        EpsilonGreedy(**kwargs)  # type: ignore[arg-type]


def test_limits_refuse_a_floor_above_one() -> None:
    with pytest.raises(ValueError, match="floor"):
        BanditLimits(floor=1.5)
