"""The gate as a whole: deterministic rule order, every check recorded, rejections as
values, and programmer errors as exceptions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.risk.risk_kit import T0, decide, market, signal

from quorum.domain import Verdict
from quorum.risk import Rule

FULL_ORDER = [
    Rule.KILL_SWITCH,
    Rule.SAFE_MODE,
    Rule.DAILY_DRAWDOWN,
    Rule.MONTHLY_DRAWDOWN,
    Rule.LOSS_STREAK,
    Rule.ACCOUNT_CAN_TRADE,
    Rule.LOCKOUT,
    Rule.BLOCKED_SYMBOL,
    Rule.SESSION,
    Rule.DAILY_REALIZED_LOSS,
    Rule.DAILY_UNREALIZED_LOSS,
    Rule.PROFIT_TARGET,
    Rule.MAX_TRADES,
    Rule.COOLDOWN,
    Rule.DUPLICATE_INTENT,
    Rule.ORDER_RATE,
    Rule.STOP_DISTANCE,
    Rule.TAKE_PROFIT,
    Rule.REWARD_RISK,
    Rule.PRICE_COLLAR,
    Rule.LEVERAGE,
    Rule.EXPECTED_VALUE,
    Rule.RISK_BUDGET,
    Rule.KELLY,
    Rule.POSITION_RISK,
    Rule.POSITION_NOTIONAL,
    Rule.CORRELATION,
    Rule.TOTAL_EXPOSURE,
    Rule.MARGIN,
    Rule.MAX_ORDER_QUANTITY,
    Rule.MAX_ORDER_NOTIONAL,
    Rule.MIN_AMOUNT,
    Rule.MIN_NOTIONAL,
    Rule.WORST_CASE_LOSS,
]


def test_an_approval_records_every_rule_in_the_documented_order() -> None:
    decision = decide()
    assert decision.verdict is Verdict.APPROVED
    assert [c.rule for c in decision.checks] == FULL_ORDER
    assert all(c.passed and c.measured and c.limit for c in decision.checks)


def test_a_rejection_stops_at_the_first_failure_and_names_rule_value_and_limit() -> None:
    decision = decide(signal(confidence=0.2))
    assert [c.rule for c in decision.checks] == FULL_ORDER[
        : FULL_ORDER.index(Rule.EXPECTED_VALUE) + 1
    ]
    failed = decision.checks[-1]
    assert not failed.passed
    assert failed.measured
    assert failed.limit
    assert decision.reason == failed.message
    assert decision.reason.startswith(f"{Rule.EXPECTED_VALUE}:")


def test_the_same_inputs_give_the_same_decision() -> None:
    assert decide() == decide()


def test_evaluate_refuses_a_market_for_another_symbol() -> None:
    with pytest.raises(ValueError, match="market: is for ETH/USDT"):
        decide(info=market(symbol="ETH/USDT"))


def test_evaluate_refuses_a_signal_from_the_future() -> None:
    with pytest.raises(ValueError, match="signal from the future"):
        decide(signal(as_of=T0 + timedelta(hours=1)))


def test_evaluate_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(as_of=T0.replace(tzinfo=None))
