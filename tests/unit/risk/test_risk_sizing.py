"""Sizing: confidence-scaled risk, the fractional-Kelly cap, step rounding and minimums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.risk.risk_kit import check, decide, market, portfolio, signal

from quorum.domain import Direction, Verdict
from quorum.risk import (
    Rule,
    SizingSettings,
    TradeStats,
    kelly_cap,
    kelly_fraction,
    risk_fraction,
)
from quorum.risk.money import floor_to_step, min_tradable, worst_case_loss_per_unit

LOSS_PER_UNIT = Decimal("2.294902")
"""Default long 100 → 98: 2 + 0.2 % stop buffer on 98 + 5 bp taker fee on both fills."""


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (0.0, Decimal("0.0025")),
        (0.5, Decimal("0.0025")),
        (0.7, Decimal("0.01125")),
        (0.9, Decimal("0.02")),
        (1.0, Decimal("0.02")),
    ],
)
def test_risk_fraction_scales_linearly_between_floor_and_cap(
    confidence: float, expected: Decimal
) -> None:
    assert risk_fraction(confidence, SizingSettings()) == expected


def test_kelly_fraction_is_win_rate_minus_loss_rate_over_payoff() -> None:
    stats = TradeStats(trades=100, win_rate=0.5, payoff_ratio=Decimal(2))
    assert kelly_fraction(stats) == Decimal("0.25")


def test_kelly_cap_is_a_quarter_of_kelly() -> None:
    stats = TradeStats(trades=100, win_rate=0.5, payoff_ratio=Decimal(2))
    assert kelly_cap(stats, SizingSettings()) == Decimal("0.0625")


def test_kelly_cap_never_exceeds_ten_percent_of_capital() -> None:
    stats = TradeStats(trades=100, win_rate=0.9, payoff_ratio=Decimal(5))
    assert kelly_cap(stats, SizingSettings()) == Decimal("0.10")


def test_kelly_cap_is_off_without_enough_trades() -> None:
    stats = TradeStats(trades=29, win_rate=0.5, payoff_ratio=Decimal(2))
    assert kelly_cap(stats, SizingSettings()) is None
    assert kelly_cap(None, SizingSettings()) is None


def test_kelly_cap_is_zero_without_edge() -> None:
    stats = TradeStats(trades=100, win_rate=0.3, payoff_ratio=Decimal(1))
    assert kelly_cap(stats, SizingSettings()) == 0


def test_worst_case_loss_includes_stop_buffer_and_both_fees() -> None:
    loss = worst_case_loss_per_unit(
        Direction.LONG,
        Decimal(100),
        Decimal(98),
        entry_slippage=Decimal(0),
        stop_buffer=Decimal("0.002"),
        entry_fee=Decimal("0.0005"),
        exit_fee=Decimal("0.0005"),
    )
    assert loss == LOSS_PER_UNIT


def test_worst_case_loss_of_a_short_mirrors_the_long() -> None:
    loss = worst_case_loss_per_unit(
        Direction.SHORT,
        Decimal(100),
        Decimal(102),
        entry_slippage=Decimal("0.001"),
        stop_buffer=Decimal("0.002"),
        entry_fee=Decimal(0),
        exit_fee=Decimal(0),
    )
    assert loss == Decimal("102.204") - Decimal("99.9")


def test_floor_to_step_rounds_down_never_up() -> None:
    assert floor_to_step(Decimal("1.23999"), Decimal("0.01")) == Decimal("1.23")
    assert floor_to_step(Decimal("17"), Decimal("5")) == Decimal("15")
    assert floor_to_step(Decimal("-1"), Decimal("0.01")) == 0


def test_min_tradable_meets_amount_and_notional_on_the_step_grid() -> None:
    assert min_tradable(Decimal("0.001"), Decimal(5), Decimal(100), Decimal("0.001")) == Decimal(
        "0.050"
    )
    assert min_tradable(Decimal(0), Decimal(10), Decimal(3), Decimal("0.5")) == Decimal("3.5")


def test_evaluate_sizes_budget_over_worst_case_loss_rounded_down_to_step() -> None:
    decision = decide()
    assert decision.verdict is Verdict.APPROVED
    assert decision.quantity == floor_to_step(Decimal(250) / LOSS_PER_UNIT, Decimal("0.001"))
    assert decision.quantity == Decimal("108.937")
    assert decision.reason.startswith("approved 108.937")


def test_evaluate_size_grows_with_confidence() -> None:
    low = decide(signal(confidence=0.5)).quantity
    high = decide(signal(confidence=0.6)).quantity
    assert high > low


def test_evaluate_resizes_to_the_kelly_cap() -> None:
    # Thin edge: 0.4 - 0.6 / 1.6 = 0.025; a quarter of it (0.625 %) is below the 2 % that
    # confidence 0.9 asks for, so the Kelly cap sets the budget: 625 of 100,000.
    stats = {"confluence": TradeStats(trades=50, win_rate=0.4, payoff_ratio=Decimal("1.6"))}
    wide = signal(confidence=0.9, stop_loss=Decimal(95), take_profit=Decimal(110))
    decision = decide(wide, folio=portfolio(strategy_stats=stats))
    assert decision.verdict is Verdict.RESIZED
    assert decision.reason.endswith("by sizing.kelly")
    assert check(decision, Rule.KELLY).limit == "0.625%"
    loss_per_unit = Decimal(100) - Decimal("94.81") + Decimal("0.05") + Decimal("0.047405")
    assert decision.quantity == floor_to_step(Decimal(625) / loss_per_unit, Decimal("0.001"))


def test_evaluate_rejects_when_trade_statistics_show_no_edge() -> None:
    stats = {"confluence": TradeStats(trades=50, win_rate=0.3, payoff_ratio=Decimal(1))}
    decision = decide(folio=portfolio(strategy_stats=stats))
    assert decision.verdict is Verdict.REJECTED
    assert decision.failed[0].rule == Rule.KELLY
    assert "no edge" in decision.reason


def test_evaluate_ignores_kelly_for_a_strategy_without_statistics() -> None:
    stats = {"other": TradeStats(trades=50, win_rate=0.3, payoff_ratio=Decimal(1))}
    decision = decide(folio=portfolio(strategy_stats=stats))
    assert decision.verdict is Verdict.APPROVED
    assert check(decision, Rule.KELLY).measured == "no statistics"


def test_evaluate_rejects_quantity_below_minimum_amount() -> None:
    decision = decide(info=market(min_amount=Decimal(200), amount_step=Decimal(1)))
    assert decision.verdict is Verdict.REJECTED
    failed = decision.failed[0]
    assert failed.rule == Rule.MIN_AMOUNT
    assert failed.measured == "108"
    assert failed.limit == ">= 200"


def test_evaluate_rejects_notional_below_minimum_notional() -> None:
    decision = decide(info=market(min_notional=Decimal(20_000)))
    assert decision.verdict is Verdict.REJECTED
    assert decision.failed[0].rule == Rule.MIN_NOTIONAL
    assert "below the minimum notional 20000" in decision.reason


def test_evaluate_accepts_notional_exactly_at_the_minimum() -> None:
    decision = decide(info=market(min_notional=Decimal("10893.7")))
    assert decision.verdict is Verdict.APPROVED
    assert check(decision, Rule.MIN_NOTIONAL).measured == "10893.700"


def test_evaluate_quantity_is_a_whole_number_of_steps() -> None:
    decision = decide(info=market(amount_step=Decimal("0.5")))
    assert decision.quantity == Decimal("108.5")
