"""The whole bundled GOOG daily history backtests to its last bar with default risk settings.

Before gapped fills were handled (issue #19 item 3), this run died with a pydantic
`ValidationError` on `Position` in the monitor: an entry filled at a gapped open 11.5 %
above its planned stop, and the backtest ended with no report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.integration.backtest.market_entries import market_entries
from typer.testing import CliRunner

from apps.cli.commands.backtest import backtest_runtime
from apps.cli.main import app
from quorum.backtest import BacktestSpec, run_backtest
from quorum.backtest.refdata import ReferenceSource, reference_frame, write_reference_csv
from quorum.clock import ReplayClock
from quorum.market import MarketDataLoader, QualityPolicy


def test_the_full_goog_daily_history_runs_to_the_end_with_default_risk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    frame = reference_frame("GOOG/USD")
    start, end = frame.index[0].to_pydatetime(), frame.index[-1].to_pydatetime()
    market = MarketDataLoader(ReferenceSource(), ReplayClock(end), QualityPolicy(stale="report"))
    spec = BacktestSpec(
        symbols=("GOOG/USD",),
        timeframes=("1d",),
        base="1d",
        start=start,
        end=end,
        llm="offline",
        strategy="ema-cross:10,30",
        refresh=False,
    )
    # market entries: the gapped fills this run is about (a protected entry limit would
    # rest through the gap instead)
    runtime = market_entries(backtest_runtime(tmp_path / "goog.sqlite"))
    try:
        outcome = run_backtest(spec, runtime, market=market)
    finally:
        runtime.close()
    result = outcome.result
    assert result.equity_curve[-1].time == end
    assert len(result.trades) >= 20
    assert result.open_positions_at_end == 0
    tally = next(iter(outcome.tally.values()))
    assert tally["monitor_actions"].get("alert:monitor.stop_rederived", 0) >= 1, (
        "the gapped entry that used to crash is now protected and reported"
    )


@pytest.mark.timeout(900)  # ~3 min on a shared 2-core machine (2148 bars, one process)
def test_the_full_goog_daily_history_runs_to_the_end_through_quorum_backtest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user would (issue #23 item 2): the bundled history written as a CSV, read by
    the file source (timeframe and timestamp checks included), default risk and entries."""
    monkeypatch.chdir(tmp_path)
    csv = write_reference_csv("GOOG/USD", tmp_path / "goog.csv")
    args = ["backtest", "--symbols", "GOOG/USD", "--timeframes", "1d", "--data", f"csv:{csv}"]
    args += ["--start", "2004-08-19T00:00:00Z", "--end", "2013-03-02T00:00:00Z"]
    args += ["--strategy", "ema-cross:10,30", "--llm", "offline", "--db", "goog.sqlite"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["trades"] >= 10
    assert summary["final_equity"] is not None
