"""Net expected value after the fee schedule and estimated slippage must be positive."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.risk.risk_kit import check, decide, market, settings, signal

from quorum.domain import Verdict
from quorum.risk import Rule
from quorum.risk.expectancy import net_expected_value


def test_net_expected_value_subtracts_fees_and_slippage_from_both_outcomes() -> None:
    ev = net_expected_value(
        Decimal(100),
        Decimal(98),
        Decimal(104),
        Decimal("0.5"),
        entry_fee=Decimal("0.0005"),
        take_profit_fee=Decimal("0.0002"),
        stop_fee=Decimal("0.0005"),
        slippage=Decimal(0),
    )
    gain = Decimal(4) - Decimal("0.05") - Decimal("0.0208")
    loss = Decimal(2) + Decimal("0.05") + Decimal("0.049")
    assert ev == Decimal("0.5") * gain - Decimal("0.5") * loss


def test_evaluate_records_expected_value_in_r() -> None:
    decision = decide()
    assert check(decision, Rule.EXPECTED_VALUE).measured == "0.4576 R"


def test_evaluate_rejects_negative_expected_value_at_low_confidence() -> None:
    decision = decide(signal(confidence=0.3))
    failed = decision.failed[0]
    assert failed.rule == Rule.EXPECTED_VALUE
    assert failed.measured.startswith("-")
    assert failed.limit == "> 0 R"


def test_evaluate_rejects_a_trade_that_fees_and_slippage_turn_negative() -> None:
    sig = signal(confidence=0.36)
    assert check(decide(sig), Rule.EXPECTED_VALUE).passed
    costly = market(slippage=Decimal("0.005"), taker_fee=Decimal("0.001"))
    decision = decide(sig, info=costly)
    assert decision.failed[0].rule == Rule.EXPECTED_VALUE
    assert "after fees and slippage" in decision.reason


def test_evaluate_rejects_expected_value_of_exactly_zero() -> None:
    # p = 0.4 on a fee-free 1.5:1 trade: 0.4 × 3 - 0.6 × 2 = 0 R; "positive" is required.
    free = market(maker_fee=Decimal(0), taker_fee=Decimal(0))
    decision = decide(signal(confidence=0.4, take_profit=Decimal(103)), info=free)
    ev = decision.failed[0]
    assert ev.rule == Rule.EXPECTED_VALUE
    assert ev.measured == "0.0000 R"


def test_evaluate_applies_a_configured_minimum_edge() -> None:
    s = settings(expectancy={"min_expected_value_r": "0.5"})
    decision = decide(s=s)
    assert decision.verdict is Verdict.REJECTED
    assert decision.failed[0].limit == "> 0.5 R"
