"""Hit rates per label and the buy-and-hold baseline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.backtest.report.report_kit import day, rich_result

from quorum.backtest.report.attribution import buy_and_hold, hit_rates
from quorum.backtest.results import PriceSeries
from quorum.domain import Timeframe

D = Decimal


def _series(symbol: str, closes: list[str], first_day: int = 0) -> PriceSeries:
    return PriceSeries(
        symbol=symbol,
        timeframe=Timeframe.D1,
        times=tuple(day(first_day + i) for i in range(len(closes))),
        closes=tuple(D(c) for c in closes),
    )


def test_hit_rates_count_every_label_a_trade_carries() -> None:
    rows = hit_rates(rich_result().trades, lambda t: t.patterns)
    table = {r.label: (r.trades, r.wins, r.hit_rate, r.net_pnl) for r in rows}
    assert table == {
        "breakout": (3, 2, pytest.approx(2 / 3), D(25)),
        "divergence": (2, 0, 0.0, D(-10)),
    }
    assert [r.label for r in rows] == sorted(table)


def test_hit_rates_count_a_repeated_label_once_per_trade() -> None:
    trades = rich_result().trades[:1]
    trade = trades[0].model_copy(update={"models": ("m", "m")})
    assert hit_rates([trade], lambda t: t.models)[0].trades == 1


def test_buy_and_hold_splits_capital_equally_and_marks_latest_closes() -> None:
    prices = [_series("AAA/USD", ["10", "20", "30"]), _series("BBB/USD", ["50", "25"], 1)]
    bh = buy_and_hold(prices, D(1000), day(0), day(10))
    # AAA: 50 units; BBB waits in cash on day 0, then 10 units at 50
    assert bh.times == (day(0), day(1), day(2))
    assert bh.equity == (D(1000), D(1500), D(1750))
    assert dict(bh.per_symbol_return) == {"AAA/USD": 2.0, "BBB/USD": -0.5}


def test_buy_and_hold_ignores_closes_outside_the_window() -> None:
    bh = buy_and_hold([_series("AAA/USD", ["10", "20", "40"])], D(100), day(1), day(1))
    assert bh.equity == (D(100),)


def test_buy_and_hold_without_prices_is_empty() -> None:
    assert buy_and_hold([], D(100), day(0), day(1)).times == ()


@given(st.lists(st.decimals(min_value=1, max_value=10**4, places=2), min_size=1, max_size=30))
def test_buy_and_hold_final_equity_follows_the_price_ratio(closes: list[Decimal]) -> None:
    series = _series("AAA/USD", [str(c) for c in closes])
    bh = buy_and_hold([series], D(1000), day(0), day(100))
    assert bh.equity[-1] == pytest.approx(D(1000) * closes[-1] / closes[0])
