"""update_model_accuracy: bounded EMA of each model's hit rate; opinion_was_right."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.unit.scoring.scoring_kit import AS_OF, SYMBOL, opinion

from quorum.domain import Bias, Direction
from quorum.scoring import AccuracyLimits, TradeOutcome, opinion_was_right, update_model_accuracy


def test_one_hit_moves_accuracy_by_alpha_capped_at_max_step() -> None:
    limits = AccuracyLimits(alpha=0.05, max_step=0.02)
    assert update_model_accuracy({"m": 0.5}, {"m": [True]}, limits)["m"] == pytest.approx(0.52)
    assert update_model_accuracy({"m": 0.9}, {"m": [True]}, limits)["m"] == pytest.approx(0.905)


def test_a_long_losing_streak_moves_accuracy_at_most_the_window_change() -> None:
    result = update_model_accuracy({"m": 0.6}, {"m": [False] * 500}, AccuracyLimits())
    assert result["m"] == pytest.approx(0.5)


def test_new_model_starts_at_initial_and_others_are_kept() -> None:
    result = update_model_accuracy({"old": 0.7}, {"new": []}, AccuracyLimits(initial=0.4))
    assert result == {"old": 0.7, "new": 0.4}


def test_accuracy_stays_within_floor_and_cap() -> None:
    limits = AccuracyLimits(max_window_change=1.0, max_step=1.0, alpha=1.0, cap=0.9)
    assert update_model_accuracy({}, {"m": [True] * 5}, limits)["m"] == 0.9


def test_limits_refuse_initial_outside_floor_and_cap() -> None:
    with pytest.raises(ValueError, match="initial"):
        AccuracyLimits(floor=0.3, initial=0.2)


def _trade(direction: Direction, pnl: str) -> TradeOutcome:
    return TradeOutcome(
        symbol=SYMBOL,
        direction=direction,
        entry_time=AS_OF,
        exit_time=AS_OF + timedelta(hours=1),
        r_multiple=1.0,
        pnl=Decimal(pnl),
    )


@pytest.mark.parametrize(
    ("stance", "direction", "pnl", "right"),
    [
        (Bias.BULLISH, Direction.LONG, "5", True),
        (Bias.BULLISH, Direction.LONG, "-5", False),
        (Bias.BEARISH, Direction.LONG, "-5", True),
        (Bias.BEARISH, Direction.SHORT, "5", True),
        (Bias.NEUTRAL, Direction.LONG, "5", None),
        (None, Direction.LONG, "5", None),
    ],
)
def test_opinion_was_right_compares_stance_trade_and_result(
    stance: Bias | None, direction: Direction, pnl: str, right: bool | None
) -> None:
    assert opinion_was_right(opinion(stance=stance), _trade(direction, pnl)) is right
