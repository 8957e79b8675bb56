"""Real historical prices: our EMA-cross backtest against backtesting.py on the same bars.

The bars come from installed development dependencies at test time (bokeh_sampledata's
AAPL daily, backtesting.py's EURUSD hourly) through :class:`ReferenceSource` and the
ordinary market loader (quality gates on; ``stale`` only reported, because exchanges close
at weekends; the loader's clock sits at the window end, and every request the replay makes
ends at or before its own clock, so nothing from the future is served). Both sides run the
same rule (EMA 10/30 cross, 5 % stop, 15 % target, fills at the next open, stops/targets
intrabar). Our account-level risk rules (loss streaks, daily loss lockouts, cooldowns) and
the monitor's breakeven/trailing management are switched off for this run by the spec's
risk override (``BacktestSpec.risk``), because backtesting.py has no equivalent: the check
is about signals, fills and accounting. The trade lists must have equal entries and exits
and per-unit P&L within the fees and slippage both sides paid, and the buy-and-hold legs
must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.backtest.market_entries import market_entries

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestSpec, run_backtest
from quorum.backtest.refcheck import (
    Comparison,
    ReferenceRun,
    compare_trades,
    reference_ema_cross,
)
from quorum.backtest.refdata import ReferenceSource, reference_frame
from quorum.backtest.report import build_report, write_report
from quorum.backtest.results import BacktestResult
from quorum.clock import ReplayClock
from quorum.market import MarketDataLoader, QualityPolicy

FAST, SLOW, STOP, TARGET = 10, 30, Decimal("0.05"), Decimal("0.15")

CASES = {
    "AAPL/USD": ("1d", datetime(2000, 3, 1, tzinfo=UTC), datetime(2004, 3, 1, tzinfo=UTC)),
    "EUR/USD": ("1h", datetime(2017, 4, 19, 9, tzinfo=UTC), datetime(2017, 6, 19, 9, tzinfo=UTC)),
}


@dataclass(frozen=True)
class Pair:
    spec: BacktestSpec
    ours: BacktestResult
    theirs: ReferenceRun
    comparison: Comparison


PLAIN_RISK = {
    "monitor": {"breakeven_after_r": "1000", "trail_after_r": "1000"},
    "account": {
        "daily_realized_loss_fraction": None,
        "daily_unrealized_loss_fraction": None,
        "position_unrealized_loss_fraction": None,
        "max_trades": None,
        "cooldown_tiers": [],
    },
    "drawdown": {
        "daily_drawdown_fraction": "0.99",
        "monthly_drawdown_fraction": "0.99",
        "loss_streak_count": 1000,
    },
}
"""The rule as backtesting.py runs it: no stop management, no account lockouts (the
spec's risk override; RiskSettings' defaults for everything else)."""


def _run_pair(symbol: str, tmp: Path) -> Pair:
    timeframe, start, end = CASES[symbol]
    market = MarketDataLoader(ReferenceSource(), ReplayClock(end), QualityPolicy(stale="report"))
    spec = BacktestSpec(
        symbols=(symbol,),
        timeframes=(timeframe,),
        base=timeframe,
        start=start,
        end=end,
        llm="offline",
        strategy=f"ema-cross:{FAST},{SLOW},{STOP},{TARGET}",
        refresh=False,
        risk=PLAIN_RISK,
    )
    runtime = market_entries(backtest_runtime(tmp / "db.sqlite"))
    try:
        ours = run_backtest(spec, runtime, market=market).result
    finally:
        runtime.close()
    frame = reference_frame(symbol)
    frame = frame[(frame.index >= start) & (frame.index < end)]
    theirs = reference_ema_cross(
        frame, FAST, SLOW, STOP, target=TARGET, fee=float(spec.fee + spec.slippage)
    )
    comparison = compare_trades(ours.trades, theirs.trades, spec.base_timeframe.delta)
    return Pair(spec, ours, theirs, comparison)


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pair:
    symbol = request.param
    return _run_pair(symbol, tmp_path_factory.mktemp(symbol.replace("/", "-")))


def test_real_data_run_trades_often_enough_to_mean_something(pair: Pair) -> None:
    assert len(pair.theirs.trades) >= 5
    assert pair.ours.data_quality.bars_processed > 500


def test_entries_are_equal_to_backtesting_py(pair: Pair) -> None:
    """Including a re-entry at the close of the bar whose open flattened the position."""
    cmp = pair.comparison
    assert cmp.only_ours == ()
    assert cmp.only_theirs == ()
    assert len(cmp.matches) == cmp.ours == cmp.theirs


def test_exits_are_equal_to_backtesting_py(pair: Pair) -> None:
    """Stops and targets from the entry bar on: an entry filled at the open lives that bar."""
    different = [(m.entry_time, m.ours_exit, m.theirs_exit) for m in pair.comparison.matches
                 if not m.exit_equal]  # fmt: skip
    assert different == []


def test_pnl_per_unit_is_within_fees_and_slippage(pair: Pair) -> None:
    outside = [m for m in pair.comparison.matches if not m.within]
    assert outside == []
    assert pair.comparison.max_relative_difference <= 1.0


def test_buy_and_hold_leg_matches_backtesting_py(pair: Pair) -> None:
    baseline = build_report(pair.ours)["baseline"]["per_symbol_return"]
    (symbol,) = pair.spec.symbols
    assert baseline[symbol] == pytest.approx(pair.theirs.buy_and_hold_return, rel=1e-9, abs=1e-12)


def test_report_of_the_real_run_renders_with_prices_and_trades(pair: Pair, tmp_path: Path) -> None:
    paths = write_report(pair.ours, tmp_path)
    html = paths.html.read_text()
    assert pair.spec.symbols[0] in html
    assert html.count("<svg") == 3
    assert write_report(pair.ours, tmp_path / "again").content_hash == paths.content_hash
