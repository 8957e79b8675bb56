"""Closed trades → the Kelly cap's statistics (``accounting.trade_stats``)."""

from __future__ import annotations

from decimal import Decimal

from quorum.pipeline.accounting import trade_stats
from quorum.risk import RiskSettings
from quorum.risk.sizing import kelly_cap


def _d(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_win_rate_and_payoff_come_from_net_pnl() -> None:
    stats = trade_stats(_d("30", "10", "-10", "-10"))
    assert stats.trades == 4
    assert stats.win_rate == 0.5
    assert stats.payoff_ratio == Decimal(2)  # average win 20 / average loss 10


def test_a_breakeven_trade_is_not_a_win() -> None:
    stats = trade_stats(_d("10", "0", "-10"))
    assert stats.win_rate == 1 / 3
    assert stats.payoff_ratio == Decimal(2)  # average loss (0 + 10) / 2 = 5


def test_one_sided_histories_leave_the_payoff_neutral_and_kelly_decided_by_win_rate() -> None:
    sizing = RiskSettings().sizing.model_copy(update={"kelly_min_trades": 1})
    all_wins = trade_stats(_d("5", "7"))
    all_losses = trade_stats(_d("-5", "-7"))
    assert (all_wins.win_rate, all_wins.payoff_ratio) == (1.0, Decimal(1))
    assert (all_losses.win_rate, all_losses.payoff_ratio) == (0.0, Decimal(1))
    assert kelly_cap(all_wins, sizing) == sizing.kelly_max_fraction
    assert kelly_cap(all_losses, sizing) == 0


def test_an_extreme_payoff_is_clipped_to_the_domain_bounds() -> None:
    assert trade_stats(_d("1e9", "-1e-3")).payoff_ratio == Decimal("1e6")
