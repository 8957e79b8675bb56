"""A portfolio prepared once per snapshot decides exactly like the plain portfolio, never
answers for a market or settings it was not prepared with, and cannot be changed."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest
from tests.unit.risk.risk_kit import T0, exposure, market, portfolio, settings, signal, state

from quorum.domain import Direction
from quorum.risk import Rule, TradeStats, evaluate, prepare_portfolio


def test_prepared_and_plain_portfolios_give_identical_decisions() -> None:
    s = settings(portfolio={"max_position_notional_fraction": "0.5"})
    folio = portfolio(
        exposure("ETH/USDT", notional=Decimal(4_000), risk=Decimal(200)),
        exposure("SOL/USDT", direction=Direction.SHORT, notional=Decimal(2_000)),
        exposure("BTC/USDT", notional=Decimal(1_500), risk=Decimal(30)),
        strategy_stats={"test": TradeStats(trades=100, win_rate=0.55, payoff_ratio=Decimal(2))},
    )
    info = market(correlations={"ETH/USDT": 0.9, "SOL/USDT": -0.8})
    with_market = prepare_portfolio(folio, s, [info])
    without_market = prepare_portfolio(folio, s)
    rules = state(s)
    shorts = {"direction": Direction.SHORT, "stop_loss": Decimal(102), "take_profit": Decimal(96)}
    signals = [
        signal(),
        signal(confidence=0.9),
        signal(strategy="test", confidence=0.8),
        signal(**shorts),
        signal(leverage=Decimal(2), **shorts),
    ]
    verdicts = set()
    for sig in signals:
        plain = evaluate(sig, folio, info, rules, T0, s)
        verdicts.add(plain.verdict)
        assert evaluate(sig, with_market, info, rules, T0, s) == plain
        assert evaluate(sig, without_market, info, rules, T0, s) == plain
        equal_market = info.model_validate(info.model_dump())
        assert evaluate(sig, with_market, equal_market, rules, T0, s) == plain
    assert len(verdicts) >= 2  # the signals reach different outcomes


def test_a_market_that_changed_since_preparation_is_planned_from_its_own_values() -> None:
    s = settings(portfolio={"max_position_notional_fraction": "0.5"})
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(40_000), risk=Decimal(200)))
    correlated = market(correlations={"ETH/USDT": 0.95})
    prepared = prepare_portfolio(folio, s, [correlated])
    uncorrelated = market(correlations={"ETH/USDT": 0.1})
    sig = signal(confidence=0.9)
    rules = state(s)
    stale = evaluate(sig, prepared, correlated, rules, T0, s)
    fresh = evaluate(sig, prepared, uncorrelated, rules, T0, s)
    assert fresh == evaluate(sig, folio, uncorrelated, rules, T0, s)
    bucket = next(c for c in fresh.checks if c.rule == Rule.CORRELATION)
    stale_bucket = next(c for c in stale.checks if c.rule == Rule.CORRELATION)
    assert bucket != stale_bucket


def test_a_portfolio_prepared_under_other_settings_is_refused() -> None:
    s = settings()
    prepared = prepare_portfolio(portfolio(), s)
    tighter = settings(portfolio={"max_position_risk_fraction": "0.01"})
    with pytest.raises(ValueError, match="portfolio: prepared under other"):
        evaluate(signal(), prepared, market(), state(s), T0, tighter)
    equal = settings()
    assert equal is not s
    assert evaluate(signal(), prepared, market(), state(s), T0, equal).approved


def test_a_prepared_portfolio_cannot_be_changed() -> None:
    folio = portfolio(exposure("ETH/USDT"))
    prepared = prepare_portfolio(folio, settings(), [market()])
    with pytest.raises(dataclasses.FrozenInstanceError):
        prepared.total_notional = Decimal(0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        prepared.sides["BTC/USDT"] = prepared.sides["ETH/USDT"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        prepared.markets.clear()  # type: ignore[attr-defined]
    assert prepared.total_notional == folio.total_notional == Decimal(1_000)
    assert prepared.symbol_totals("ETH/USDT") == folio.by_symbol["ETH/USDT"]
    assert prepared.symbol_totals("XRP/USDT") == (0, 0)


def test_gates_prepared_for_one_rules_state_never_answer_for_another() -> None:
    s = settings()
    folio = portfolio(exposure("ETH/USDT", unrealized_pnl=Decimal(-500)))
    rules = state(s)
    prepared = prepare_portfolio(folio, s, [market()], rules)
    assert evaluate(signal(), prepared, market(), rules, T0, s).approved
    losing = state(s, realized_pnl_today=Decimal(-5_000))
    decision = evaluate(signal(), prepared, market(), losing, T0, s)
    assert decision == evaluate(signal(), folio, market(), losing, T0, s)
    assert decision.failed[0].rule == Rule.DAILY_REALIZED_LOSS
    equal = rules.model_validate(rules.model_dump())
    assert evaluate(signal(), prepared, market(), equal, T0, s).approved


def test_gates_prepared_before_the_daily_reset_are_not_used_after_it() -> None:
    s = settings()
    folio = portfolio()
    lost = state(s, realized_pnl_today=Decimal(-5_000))
    prepared = prepare_portfolio(folio, s, [market()], lost)
    assert evaluate(signal(), prepared, market(), lost, T0, s).failed[0].rule == (
        Rule.DAILY_REALIZED_LOSS
    )
    after_reset = lost.next_reset_at + timedelta(minutes=1)
    sig = signal(as_of=after_reset)
    decision = evaluate(sig, prepared, market(), lost, after_reset, s)
    assert decision == evaluate(sig, folio, market(), lost, after_reset, s)
    assert Rule.DAILY_REALIZED_LOSS not in {c.rule for c in decision.failed}
