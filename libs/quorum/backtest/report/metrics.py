"""Every number of the report, computed from a :class:`BacktestResult` (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from quorum.backtest.report.attribution import BuyAndHold, HitRate, buy_and_hold, hit_rates
from quorum.backtest.report.drawdown import Drawdown, max_drawdown
from quorum.backtest.report.models import ModelRow, by_model, by_role
from quorum.backtest.report.returns import (
    SECONDS_PER_YEAR,
    cagr,
    infer_periods_per_year,
    mar_ratio,
    period_returns,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from quorum.backtest.report.trades import TradeStats, trade_stats
from quorum.backtest.results import BacktestResult
from quorum.scoring.reliability import ReliabilityReport, reliability

__all__ = ["Metrics", "ReturnStats", "compute_metrics", "equity_points"]


@dataclass(frozen=True, slots=True)
class ReturnStats:
    initial: Decimal
    final: Decimal
    total_return: float
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    mar: float | None
    periods_per_year: float | None
    years: float


@dataclass(frozen=True, slots=True)
class Metrics:
    trades: TradeStats
    returns: ReturnStats
    drawdown: Drawdown
    by_pattern: list[HitRate]
    by_analyst: list[HitRate]
    by_model: list[HitRate]
    model_rows: list[ModelRow]
    role_rows: list[ModelRow]
    calibration: ReliabilityReport
    baseline: BuyAndHold
    baseline_returns: ReturnStats | None
    baseline_drawdown: Drawdown | None
    cache_hit_rate: float | None
    spend_per_trade: Decimal | None
    equity_times: tuple[datetime, ...]
    equity: tuple[Decimal, ...]


def equity_points(result: BacktestResult) -> tuple[tuple[datetime, ...], tuple[Decimal, ...]]:
    """The run's equity curve; without one, initial capital stepped by each trade's P&L."""
    if result.equity_curve:
        return (
            tuple(p.time for p in result.equity_curve),
            tuple(p.equity for p in result.equity_curve),
        )
    times, values, equity = [result.start], [result.initial_capital], result.initial_capital
    for trade in sorted(result.trades, key=lambda t: t.exit_time):
        equity += trade.pnl
        if trade.exit_time > times[-1]:
            times.append(trade.exit_time)
            values.append(equity)
        else:
            values[-1] = equity
    return tuple(times), tuple(values)


def _return_stats(
    initial: Decimal,
    times: tuple[datetime, ...],
    equity: tuple[Decimal, ...],
    years: float,
    periods_per_year: float | None,
    drawdown: Drawdown,
) -> ReturnStats:
    final = equity[-1] if equity else initial
    growth = cagr(initial, final, years)
    ppy = periods_per_year or infer_periods_per_year(times)
    rets = period_returns(equity)
    return ReturnStats(
        initial=initial,
        final=final,
        total_return=total_return(initial, final),
        cagr=growth,
        sharpe=sharpe_ratio(rets, ppy) if ppy else None,
        sortino=sortino_ratio(rets, ppy) if ppy else None,
        mar=mar_ratio(growth, drawdown.max_fraction),
        periods_per_year=ppy,
        years=years,
    )


def compute_metrics(result: BacktestResult) -> Metrics:
    times, equity = equity_points(result)
    years = (result.end - result.start).total_seconds() / SECONDS_PER_YEAR
    drawdown = max_drawdown(times, equity)
    returns = _return_stats(
        result.initial_capital, times, equity, years, result.periods_per_year, drawdown
    )
    baseline = buy_and_hold(result.prices, result.initial_capital, result.start, result.end)
    base_dd = max_drawdown(baseline.times, baseline.equity) if baseline.times else None
    base_returns = (
        _return_stats(result.initial_capital, baseline.times, baseline.equity, years, None, base_dd)
        if base_dd is not None
        else None
    )
    llm = result.llm
    stats = trade_stats(result.trades, result.open_positions_at_end)
    return Metrics(
        trades=stats,
        returns=returns,
        drawdown=drawdown,
        by_pattern=hit_rates(result.trades, lambda t: t.patterns),
        by_analyst=hit_rates(result.trades, lambda t: t.analysts),
        by_model=hit_rates(result.trades, lambda t: t.models),
        model_rows=by_model(result.trades, llm.by_model_role),
        role_rows=by_role(result.trades, llm.by_model_role),
        calibration=reliability(
            [s.probability for s in result.signals], [s.outcome for s in result.signals]
        ),
        baseline=baseline,
        baseline_returns=base_returns,
        baseline_drawdown=base_dd,
        cache_hit_rate=llm.cache_hits / llm.calls if llm.calls else None,
        spend_per_trade=llm.trade_spend_usd / llm.trades if llm.trades else None,
        equity_times=times,
        equity=equity,
    )
