"""Stop sanity: mandatory stop in the distance band, take-profit side, reward:risk,
worst-case loss; and the ATR-based initial stop."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.risk.risk_kit import check, decide, settings, signal

from quorum.domain import Direction, Signal, Verdict
from quorum.risk import Rule, StopSettings, atr_stop


def _unvalidated(**changes: object) -> Signal:
    """A signal whose levels bypassed the model's validation (e.g. built by model_construct):
    the gate must still catch them."""
    base = signal()
    data = base.model_dump()
    data.update(changes)
    return Signal.model_construct(**data)


def test_evaluate_rejects_stop_wider_than_ten_percent() -> None:
    decision = decide(_unvalidated(stop_loss=Decimal("89.5"), take_profit=Decimal(130)))
    assert decision.verdict is Verdict.REJECTED
    failed = decision.failed[0]
    assert failed.rule == Rule.STOP_DISTANCE
    assert failed.measured == "10.500%"
    assert failed.limit == "[0.100%, 10.000%]"
    assert "too wide" in decision.reason


def test_evaluate_accepts_stop_exactly_at_the_maximum_distance() -> None:
    decision = decide(signal(stop_loss=Decimal(90), take_profit=Decimal(120)))
    assert check(decision, Rule.STOP_DISTANCE).passed
    assert check(decision, Rule.STOP_DISTANCE).measured == "10.000%"


def test_evaluate_rejects_stop_wider_than_a_configured_maximum() -> None:
    s = settings(stops={"max_stop_fraction": "0.05"})
    decision = decide(signal(stop_loss=Decimal("94.9"), take_profit=Decimal(120)), s=s)
    assert decision.failed[0].rule == Rule.STOP_DISTANCE
    assert decision.failed[0].limit == "[0.100%, 5.000%]"


def test_evaluate_rejects_stop_tighter_than_the_minimum() -> None:
    s = settings(stops={"min_stop_fraction": "0.005"})
    decision = decide(signal(stop_loss=Decimal("99.6"), take_profit=Decimal(101)), s=s)
    assert decision.failed[0].rule == Rule.STOP_DISTANCE
    assert decision.failed[0].measured == "0.400%"
    assert "too tight" in decision.reason


def test_evaluate_rejects_stop_on_the_winning_side() -> None:
    decision = decide(_unvalidated(stop_loss=Decimal(101)))
    assert decision.failed[0].rule == Rule.STOP_DISTANCE
    assert "must be below entry" in decision.reason


def test_evaluate_rejects_short_stop_below_entry() -> None:
    sig = _unvalidated(direction=Direction.SHORT, stop_loss=Decimal(99), take_profit=Decimal(95))
    decision = decide(sig)
    assert decision.failed[0].rule == Rule.STOP_DISTANCE
    assert "must be above entry" in decision.reason


def test_evaluate_rejects_missing_take_profit_when_required() -> None:
    decision = decide(signal(take_profit=None))
    assert decision.failed[0].rule == Rule.TAKE_PROFIT
    assert "required" in decision.reason


def test_evaluate_allows_missing_take_profit_when_not_required() -> None:
    s = settings(stops={"require_take_profit": False})
    decision = decide(signal(take_profit=None), s=s)
    assert decision.verdict is Verdict.APPROVED
    assert check(decision, Rule.REWARD_RISK).measured == "n/a (no take-profit)"


def test_evaluate_rejects_take_profit_on_the_wrong_side() -> None:
    decision = decide(_unvalidated(take_profit=Decimal(97)))
    assert decision.failed[0].rule == Rule.TAKE_PROFIT
    assert decision.failed[0].limit == "above 100"


def test_evaluate_rejects_reward_risk_below_one_and_a_half() -> None:
    decision = decide(signal(take_profit=Decimal("102.9")))
    failed = decision.failed[0]
    assert failed.rule == Rule.REWARD_RISK
    assert failed.measured == "1.4500"
    assert failed.limit == ">= 1.5"


def test_evaluate_accepts_reward_risk_exactly_at_the_minimum() -> None:
    decision = decide(signal(take_profit=Decimal(103)))
    assert decision.verdict is Verdict.APPROVED
    assert check(decision, Rule.REWARD_RISK).measured == "1.5000"


def test_evaluate_records_worst_case_loss_within_the_per_trade_risk() -> None:
    decision = decide()
    worst = check(decision, Rule.WORST_CASE_LOSS)
    assert worst.passed
    assert Decimal(worst.measured) <= Decimal(250)
    assert worst.limit == "<= 250.0000"


def test_atr_stop_sits_multiple_atr_below_a_long_entry() -> None:
    stop = atr_stop(Direction.LONG, Decimal(100), Decimal(1), Decimal(2), StopSettings())
    assert stop == Decimal(98)


def test_atr_stop_sits_above_a_short_entry_rounded_away_to_tick() -> None:
    stop = atr_stop(
        Direction.SHORT, Decimal(100), Decimal("1.234"), Decimal(2), StopSettings(), Decimal("0.1")
    )
    assert stop == Decimal("102.5")


def test_atr_stop_is_clamped_into_the_allowed_band() -> None:
    wide = atr_stop(Direction.LONG, Decimal(100), Decimal(20), Decimal(2), StopSettings())
    tight = atr_stop(Direction.LONG, Decimal(100), Decimal("0.001"), Decimal(2), StopSettings())
    assert wide == Decimal(90)
    assert tight == Decimal("99.9")
