"""BacktestResult refuses inconsistent input with errors that name the field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError
from tests.unit.backtest.report.report_kit import curve, day, result, rich_result, trade

from quorum.backtest.results import BacktestResult, LlmStats, PriceSeries
from quorum.domain import Timeframe


def test_round_trips_through_json_unchanged() -> None:
    original = rich_result()
    assert BacktestResult.model_validate_json(original.model_dump_json()) == original


def test_refuses_a_trade_that_exits_before_it_enters() -> None:
    with pytest.raises(ValidationError, match="exit_time"):
        trade("1", entry=2, exit_=1)


def test_refuses_naive_times() -> None:
    with pytest.raises(ValidationError, match="start"):
        result(start=datetime(2024, 1, 1))


def test_refuses_an_equity_curve_that_goes_back_in_time() -> None:
    points = curve([1, 2, 3])
    with pytest.raises(ValidationError, match=r"equity_curve\[2\]"):
        result(equity_curve=(points[0], points[2], points[1]))


def test_refuses_a_trade_on_a_symbol_outside_the_run() -> None:
    with pytest.raises(ValidationError, match=r"trades\[0\]\.symbol"):
        result(symbols=("ETH/USDT",), trades=(trade("1"),))


def test_refuses_more_cache_hits_than_calls() -> None:
    with pytest.raises(ValidationError, match="cache_hits"):
        LlmStats(calls=1, cache_hits=2)


def test_refuses_price_series_of_unequal_length() -> None:
    with pytest.raises(ValidationError, match="closes"):
        PriceSeries(
            symbol="X/Y", timeframe=Timeframe.D1, times=(day(0), day(1)), closes=(Decimal(1),)
        )


def test_refuses_an_end_before_the_start_and_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="end"):
        result(end=day(-1))
    with pytest.raises(ValidationError, match="extra"):
        result(surprise=1)


def test_holding_time_and_win_are_derived_from_the_trade() -> None:
    t = trade("-1", entry=1, exit_=3.5)
    assert t.holding_time.total_seconds() == 2.5 * 86_400
    assert not t.is_win
