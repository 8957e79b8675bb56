"""Portfolio limits: single-position share, correlation bucket, total exposure, leverage,
margin. Caps resize the order; a cap with no room left for the minimum order rejects."""

from __future__ import annotations

from decimal import Decimal

from tests.unit.risk.risk_kit import (
    check,
    decide,
    exposure,
    market,
    portfolio,
    settings,
    signal,
)

from quorum.domain import Direction, Verdict
from quorum.risk import Rule

STEP = Decimal("0.001")


def test_evaluate_resizes_a_position_above_twenty_percent_notional() -> None:
    decision = decide(signal(confidence=0.9))
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(200)
    notional = check(decision, Rule.POSITION_NOTIONAL)
    assert (notional.measured, notional.limit) == ("20.000%", "20.000%")
    assert "size reduced from" in notional.message
    assert decision.reason.startswith("resized from 871.496 to 200")


def test_evaluate_counts_an_open_position_in_the_same_symbol() -> None:
    folio = portfolio(exposure("BTC/USDT", notional=Decimal(15_000), risk=Decimal(10)))
    decision = decide(folio=folio)
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(50)
    assert "portfolio.position_notional" in decision.reason


def test_evaluate_resizes_to_the_position_risk_share() -> None:
    folio = portfolio(exposure("BTC/USDT", notional=Decimal(1), risk=Decimal(1_900)))
    decision = decide(folio=folio)
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal("43.574")
    assert check(decision, Rule.POSITION_RISK).measured == "2.000%"


def test_evaluate_rejects_when_the_position_risk_share_is_used_up() -> None:
    folio = portfolio(exposure("BTC/USDT", notional=Decimal(1), risk=Decimal(2_000)))
    decision = decide(folio=folio)
    assert decision.verdict is Verdict.REJECTED
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.POSITION_RISK, "2.000%", "2.000%")
    assert "below the minimum order" in failed.message


def test_evaluate_buckets_a_correlated_open_position_with_the_new_one() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(15_000), risk=Decimal(10)))
    decision = decide(folio=folio, info=market(correlations={"ETH/USDT": 0.8}))
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(50)
    assert decision.reason.endswith("by portfolio.correlation")


def test_evaluate_does_not_bucket_a_correlation_exactly_at_the_limit() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(5_000), risk=Decimal(10)))
    decision = decide(folio=folio, info=market(correlations={"ETH/USDT": 0.7}))
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_buckets_an_opposite_position_with_negative_correlation() -> None:
    short = exposure("ETH/USDT", direction=Direction.SHORT, notional=Decimal(15_000))
    decision = decide(folio=portfolio(short), info=market(correlations={"ETH/USDT": -0.9}))
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(50)


def test_evaluate_treats_an_opposite_position_with_positive_correlation_as_a_hedge() -> None:
    short = exposure("ETH/USDT", direction=Direction.SHORT, notional=Decimal(5_000))
    decision = decide(folio=portfolio(short), info=market(correlations={"ETH/USDT": 0.9}))
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_rejects_when_the_correlated_bucket_is_full() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(20_000), risk=Decimal(10)))
    decision = decide(folio=folio, info=market(correlations={"ETH/USDT": 0.95}))
    assert decision.verdict is Verdict.REJECTED
    failed = decision.failed[0]
    assert failed.rule == Rule.CORRELATION
    assert "max corr 0.95" in failed.message


def test_evaluate_assumes_the_configured_correlation_when_none_is_known() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(15_000), risk=Decimal(10)))
    s = settings(portfolio={"unknown_correlation": 0.9})
    decision = decide(folio=folio, s=s)
    assert decision.quantity == Decimal(50)
    assert "portfolio.correlation" in decision.reason


def test_evaluate_resizes_to_the_total_exposure_cap() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(15_000), risk=Decimal(10)))
    decision = decide(folio=folio)
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal(50)
    assert decision.reason.endswith("by portfolio.total_exposure")
    assert check(decision, Rule.TOTAL_EXPOSURE).measured == "20.000%"


def test_evaluate_rejects_when_total_exposure_is_used_up() -> None:
    folio = portfolio(exposure("ETH/USDT", notional=Decimal(20_000), risk=Decimal(10)))
    decision = decide(folio=folio)
    assert decision.failed[0].rule == Rule.TOTAL_EXPOSURE


def test_evaluate_rejects_leverage_above_the_maximum() -> None:
    decision = decide(signal(leverage=Decimal(4)))
    failed = decision.failed[0]
    assert (failed.rule, failed.measured, failed.limit) == (Rule.LEVERAGE, "4x", "3x")


def test_evaluate_accepts_leverage_at_the_maximum() -> None:
    decision = decide(signal(leverage=Decimal(3)))
    assert check(decision, Rule.LEVERAGE).passed
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_resizes_to_fit_margin_with_ten_percent_headroom() -> None:
    decision = decide(folio=portfolio(margin_available=Decimal(5_000)))
    assert decision.verdict is Verdict.RESIZED
    assert decision.quantity == Decimal("45.454")
    margin = check(decision, Rule.MARGIN)
    assert Decimal(margin.measured) <= Decimal(5_000)


def test_evaluate_needs_less_margin_with_leverage() -> None:
    decision = decide(signal(leverage=Decimal(3)), folio=portfolio(margin_available=Decimal(5_000)))
    assert decision.verdict is Verdict.APPROVED


def test_evaluate_rejects_without_margin() -> None:
    decision = decide(folio=portfolio(margin_available=Decimal(0)))
    assert decision.failed[0].rule == Rule.MARGIN


def test_a_copied_portfolio_recomputes_its_totals() -> None:
    folio = portfolio(exposure(notional=Decimal(5_000)))
    assert folio.total_notional == Decimal(5_000)
    emptied = folio.model_copy(update={"exposures": ()})
    assert emptied.total_notional == 0
    assert emptied.by_symbol == {}
