"""Rewards, credit assignment and update_weights from closed trades."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.unit.scoring.scoring_kit import AS_OF, SYMBOL, frame, hit, opinion, scan

from quorum.domain import Direction, PatternFamily, Timeframe
from quorum.scoring import (
    EpsilonGreedy,
    EvidenceWeights,
    ScoringSettings,
    TradeOutcome,
    arm_credit,
    arm_of,
    family_arm,
    score_confluence,
    trade_contributors,
    trade_reward,
    update_weights,
)


def outcome(contributors: dict[str, float], pnl: str = "10", r: float = 1.5) -> TradeOutcome:
    return TradeOutcome(
        symbol=SYMBOL,
        direction=Direction.LONG,
        entry_time=AS_OF,
        exit_time=AS_OF + timedelta(hours=2),
        r_multiple=r,
        pnl=Decimal(pnl),
        contributors=contributors,
    )


@pytest.mark.parametrize(
    ("won", "r", "expected"),
    [(True, 1.0, 0.75), (True, 5.0, 1.0), (False, -1.0, -0.75), (False, 0.5, -0.375)],
)
def test_trade_reward_blends_win_and_r_multiple(won: bool, r: float, expected: float) -> None:
    assert trade_reward(won, r) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "arm"),
    [
        ("4h:pattern:candlestick:bullish_engulfing", "pattern:candlestick"),
        ("4h:pattern:breakout:flag#2", "pattern:breakout"),
        ("llm:technical", "llm:technical"),
        ("llm:technical#2", "llm:technical"),
        ("pattern:divergence", "pattern:divergence"),
        ("1h:indicator:rsi", None),
        ("regime:4h", None),
        ("regime:against", None),
    ],
)
def test_arm_of_maps_component_names_to_arms(name: str, arm: str | None) -> None:
    assert arm_of(name) == arm


def test_trade_contributors_are_signed_toward_the_trade() -> None:
    score = score_confluence(
        scan(frame(patterns=(hit(Timeframe.H1),))),
        [opinion()],
        {"m": 1.0},
        ScoringSettings(llm_share=None),
    )
    short = trade_contributors(score, Direction.SHORT)
    assert short["1h:pattern:candlestick:hammer"] == pytest.approx(-1.0)
    assert short["llm:technical"] == pytest.approx(-1.5)
    assert "regime:1h" not in short  # zero contribution


def test_arm_credit_nets_contributions_per_arm() -> None:
    credit = arm_credit(
        outcome({"1h:pattern:breakout:a": 0.4, "4h:pattern:breakout:b": -0.1, "regime:1h": 1.0})
    )
    assert credit == pytest.approx({"pattern:breakout": 0.3})


def test_supporting_arm_gains_and_opposing_arm_loses_on_a_winning_trade() -> None:
    arms = (family_arm(PatternFamily.BREAKOUT), "llm:technical", "llm:sentiment")
    bandit = EpsilonGreedy(arms, 0.0, 1)
    trades = [
        outcome({"1h:pattern:breakout:flag": 0.5, "llm:technical": -0.3, "llm:other": 0.2})
    ] * 30
    weights = update_weights(EvidenceWeights(analysts={"risk": 0.7}), trades, bandit)
    assert weights.family("breakout") > 1.0
    assert weights.analyst("technical") < 1.0
    assert weights.analyst("sentiment") == 1.0  # never credited
    assert weights.analyst("risk") == 0.7  # not tracked by the bandit
    assert bandit.counts()["llm:sentiment"] == 0


def test_trade_outcome_refuses_exit_before_entry() -> None:
    with pytest.raises(ValueError, match="exit_time"):
        TradeOutcome(
            symbol=SYMBOL,
            direction=Direction.LONG,
            entry_time=AS_OF,
            exit_time=AS_OF - timedelta(minutes=1),
            r_multiple=1.0,
            pnl=Decimal(1),
        )


def test_won_is_positive_pnl() -> None:
    assert outcome({}, pnl="0.01").won
    assert not outcome({}, pnl="0").won
