"""Trade, return and drawdown metrics against hand-computed values and properties."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.backtest.report.report_kit import day, rich_result, trade

from quorum.backtest.report.drawdown import drawdown_series, max_drawdown
from quorum.backtest.report.returns import (
    cagr,
    infer_periods_per_year,
    mar_ratio,
    period_returns,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from quorum.backtest.report.trades import (
    gross_loss,
    gross_profit,
    max_losing_streak,
    profit_factor,
    trade_stats,
    win_rate,
)

D = Decimal
money = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)
equity_values = st.lists(
    st.decimals(min_value=D("0.01"), max_value=D(10**6), places=2, allow_nan=False),
    min_size=1,
    max_size=60,
)


def test_trade_stats_match_hand_computed_values() -> None:
    stats = trade_stats(rich_result().trades, open_at_end=1)
    assert (stats.opened, stats.closed, stats.wins, stats.losses) == (5, 4, 2, 2)
    assert stats.win_rate == 0.5
    assert (stats.avg_win, stats.avg_loss) == (D(15), D(-5))
    assert stats.realized_rr == 3.0
    assert stats.expectancy == D(5)
    assert stats.expectancy_r == 0.5
    assert stats.profit_factor == 3.0
    assert (stats.gross_profit, stats.gross_loss, stats.net_pnl) == (D(30), D(10), D(20))
    assert stats.fees == D("0.5")
    assert stats.avg_holding_time == timedelta(days=1.5)
    assert (stats.max_consecutive_losses, stats.max_consecutive_losses_cost) == (2, D(-10))


def test_trade_stats_of_no_trades_are_undefined_not_zero() -> None:
    stats = trade_stats(())
    assert stats.closed == 0
    assert stats.win_rate is None
    assert stats.expectancy is None
    assert stats.profit_factor is None
    assert stats.avg_holding_time is None
    assert stats.realized_rr is None


def test_trade_stats_order_trades_by_exit_time_for_streaks() -> None:
    trades = (
        trade("-1", entry=0, exit_=5),
        trade("2", entry=0, exit_=1),
        trade("-3", entry=0, exit_=6),
    )
    assert trade_stats(trades).max_consecutive_losses == 2


def test_losing_streak_picks_the_costliest_of_equally_long_runs() -> None:
    streak = max_losing_streak([D(-1), D(-1), D(5), D(-4), D(-2), D(0), D(-9)])
    assert (streak.length, streak.cost) == (2, D(-6))


def test_break_even_trade_ends_a_losing_streak() -> None:
    assert max_losing_streak([D(-1), D(0), D(-1)]).length == 1


@given(st.lists(money, max_size=50))
def test_profit_factor_is_consistent_with_wins_and_losses(pnls: list[Decimal]) -> None:
    pf = profit_factor(pnls)
    if gross_loss(pnls) == 0:
        assert pf is None
        return
    assert pf is not None
    assert pf >= 0
    assert pf == pytest.approx(float(gross_profit(pnls) / gross_loss(pnls)))
    total = sum(pnls, D(0))
    assert (pf > 1) == (total > 0)
    assert (pf == 1) == (total == 0)


@given(st.lists(money, max_size=50))
def test_win_rate_and_streak_stay_within_their_bounds(pnls: list[Decimal]) -> None:
    rate = win_rate(pnls)
    assert rate is None if not pnls else 0 <= rate <= 1
    streak = max_losing_streak(pnls)
    assert 0 <= streak.length <= sum(1 for p in pnls if p < 0)
    assert -gross_loss(pnls) <= streak.cost <= 0


def test_sharpe_matches_hand_computed_value() -> None:
    # mean 0.02, sample std sqrt(2) * 0.01, four periods a year
    assert sharpe_ratio([0.01, 0.03], 4) == pytest.approx(math.sqrt(2) * 2)


def test_sortino_uses_downside_deviation_over_all_periods() -> None:
    # mean 0.005; downside sqrt((0.01² + 0.02²) / 4) = 0.0111803
    assert sortino_ratio([0.02, -0.01, 0.03, -0.02], 1) == pytest.approx(0.4472136, rel=1e-6)


def test_ratios_are_undefined_without_variation_or_downside() -> None:
    assert sharpe_ratio([0.01, 0.01, 0.01], 252) is None
    assert sharpe_ratio([0.01], 252) is None
    assert sortino_ratio([0.01, 0.02], 252) is None


@given(
    st.lists(st.floats(min_value=-0.5, max_value=0.5), min_size=2, max_size=40),
    st.floats(min_value=0.01, max_value=100),
)
def test_sharpe_is_invariant_to_scaling_returns(returns: list[float], scale: float) -> None:
    base = sharpe_ratio(returns, 252)
    scaled = sharpe_ratio([r * scale for r in returns], 252)
    if base is None or scaled is None:
        return
    assert scaled == pytest.approx(base, rel=1e-6, abs=1e-6)
    flipped = sharpe_ratio([-r for r in returns], 252)
    assert flipped == pytest.approx(-base, rel=1e-9, abs=1e-9)


def test_returns_cagr_and_mar_match_hand_computed_values() -> None:
    assert period_returns([D(100), D(110), D(99)]) == pytest.approx([0.1, -0.1])
    assert total_return(D(100), D(121)) == pytest.approx(0.21)
    assert cagr(D(100), D(121), 2.0) == pytest.approx(0.1)
    assert cagr(D(100), D(0), 2.0) is None
    assert mar_ratio(0.1, 0.2) == pytest.approx(0.5)
    assert mar_ratio(0.1, 0.0) is None


def test_periods_per_year_inferred_from_median_spacing() -> None:
    daily = [day(i) for i in range(10)]
    assert infer_periods_per_year(daily) == pytest.approx(365.25)
    assert infer_periods_per_year(daily[:1]) is None


def test_max_drawdown_matches_hand_computed_values() -> None:
    result = rich_result()
    times = [p.time for p in result.equity_curve]
    dd = max_drawdown(times, [p.equity for p in result.equity_curve])
    assert dd.max_money == D(10)
    assert dd.max_fraction == pytest.approx(10 / 1010)
    assert (dd.peak_time, dd.trough_time) == (day(2), day(6))
    assert (dd.longest, dd.longest_start, dd.longest_end) == (timedelta(days=5), day(2), day(7))
    assert dd.recovered


def test_unrecovered_drawdown_runs_to_the_end_of_the_curve() -> None:
    values = [D(100), D(120), D(90), D(95)]
    dd = max_drawdown([day(i) for i in range(4)], values)
    assert dd.max_money == D(30)
    assert dd.max_fraction == pytest.approx(0.25)
    assert (dd.longest, dd.recovered) == (timedelta(days=2), False)


def test_rising_curve_has_no_drawdown() -> None:
    dd = max_drawdown([day(i) for i in range(3)], [D(1), D(2), D(3)])
    assert dd.max_money == 0
    assert dd.longest == timedelta()
    assert dd.peak_time is None


@given(equity_values)
def test_max_drawdown_is_between_zero_and_the_peak(values: list[Decimal]) -> None:
    dd = max_drawdown([day(i) for i in range(len(values))], values)
    assert D(0) <= dd.max_money <= max(values)
    assert 0.0 <= dd.max_fraction < 1.0
    assert dd.max_fraction >= float(dd.max_money / max(values)) - 1e-12
    series = drawdown_series(values)
    assert max(m for m, _ in series) == dd.max_money
    assert dd.longest <= timedelta(days=len(values) - 1)
