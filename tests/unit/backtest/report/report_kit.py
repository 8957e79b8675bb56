"""Builders for backtest-report tests: small, hand-checkable BacktestResult values."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from quorum.backtest.results import (
    BacktestResult,
    EquityPoint,
    LeakageFlag,
    LlmStats,
    PriceSeries,
    SignalOutcome,
    Trade,
)
from quorum.domain import Direction, Timeframe

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOL = "BTC/USDT"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def trade(pnl: str, *, entry: float = 0, exit_: float = 1, **extra: Any) -> Trade:
    fields: dict[str, Any] = {
        "symbol": SYMBOL,
        "direction": Direction.LONG,
        "entry_time": day(entry),
        "exit_time": day(exit_),
        "entry_price": Decimal(100),
        "exit_price": Decimal(100) + Decimal(pnl),
        "quantity": Decimal(1),
        "pnl": Decimal(pnl),
    }
    fields.update(extra)
    return Trade(**fields)


def curve(values: Sequence[str | int], *, step_days: float = 1) -> tuple[EquityPoint, ...]:
    return tuple(
        EquityPoint(time=day(i * step_days), equity=Decimal(v)) for i, v in enumerate(values)
    )


def result(**overrides: Any) -> BacktestResult:
    fields: dict[str, Any] = {
        "run_id": "run-1",
        "mode": "backtest",
        "capital_mode": "fixed",
        "symbols": (SYMBOL,),
        "timeframes": (Timeframe.D1,),
        "start": T0,
        "end": day(10),
        "seed": 7,
        "config_hash": "c0ffee",
        "initial_capital": Decimal(1000),
    }
    fields.update(overrides)
    return BacktestResult(**fields)


def rich_result() -> BacktestResult:
    """A result with something in every section (leakage included)."""
    closes = [Decimal(100 + i) for i in range(11)]
    return result(
        trades=(
            trade(
                "10",
                entry=0,
                exit_=2,
                patterns=("breakout",),
                analysts=("technical",),
                models=("gpt-x",),
                fees=Decimal("0.5"),
                r_multiple=1.0,
                confidence=0.6,
            ),
            trade(
                "-5",
                entry=3,
                exit_=4,
                patterns=("breakout", "divergence"),
                analysts=("technical", "regime"),
                models=("gpt-x",),
                r_multiple=-0.5,
            ),
            trade(
                "-5",
                entry=5,
                exit_=6,
                patterns=("divergence",),
                analysts=("regime",),
                models=("claude-y",),
                r_multiple=-0.5,
            ),
            trade(
                "20",
                entry=7,
                exit_=9,
                patterns=("breakout",),
                analysts=("technical",),
                models=("claude-y",),
                r_multiple=2.0,
            ),
        ),
        equity_curve=curve([1000, 1005, 1010, 1008, 1005, 1002, 1000, 1010, 1015, 1020, 1020]),
        signals=tuple(
            SignalOutcome(time=day(i), symbol=SYMBOL, probability=p, outcome=o)
            for i, (p, o) in enumerate([(0.8, True), (0.6, False), (0.3, False), (0.9, True)])
        ),
        leakage=(
            LeakageFlag(model="gpt-x", training_cutoff=day(30), window_start=T0, contaminated=True),
            LeakageFlag(
                model="claude-y", training_cutoff=day(-30), window_start=T0, contaminated=False
            ),
        ),
        llm=LlmStats(
            calls=40,
            cache_hits=10,
            spend_usd=Decimal("2.00"),
            trades=3,
            trade_spend_usd=Decimal("1.20"),
        ),
        prices=(
            PriceSeries(
                symbol=SYMBOL,
                timeframe=Timeframe.D1,
                times=tuple(day(i) for i in range(11)),
                closes=tuple(closes),
            ),
        ),
        warnings=("walk-forward fold 1/1",),
    )
