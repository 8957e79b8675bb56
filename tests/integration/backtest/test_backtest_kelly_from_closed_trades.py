"""The Kelly cap applies in a backtest once the run's closed trades show no edge.

The rule strategy trades through the same decision path as the agents; the account it is
sized against carries the run's closed-trade statistics, so after ``kelly_min_trades``
losing trades the gate refuses to size the next entries (issue #18 item 6: before, the
statistics were never fed and every one of these entries was approved).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestOutcome, BacktestSpec, run_backtest


def _run(tmp: Path, risk: dict[str, Any] | None) -> BacktestOutcome:
    spec = BacktestSpec(
        symbols=("BTC/USDT",),
        timeframes=("1h",),
        base="1h",
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 5, tzinfo=UTC),
        llm="offline",
        strategy="ema-cross:5,20",
        refresh=False,
        risk=risk,
    )
    runtime = backtest_runtime(tmp / "run.sqlite")
    try:
        return run_backtest(spec, runtime, run_id="r")
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> BacktestOutcome:
    return _run(tmp_path_factory.mktemp("plain"), None)


def test_the_window_loses_on_every_trade_without_enough_trades_for_kelly(
    plain: BacktestOutcome,
) -> None:
    """Five entries, five losses; 30 closed trades (the default) are never reached."""
    tally = plain.tally["r"]
    assert tally["verdicts"] == {"approved": 5}
    assert tally["losses"] == 5
    assert tally["wins"] == 0


def test_after_two_losing_trades_the_kelly_cap_rejects_the_rest(
    tmp_path: Path, plain: BacktestOutcome
) -> None:
    outcome = _run(tmp_path, {"sizing": {"kelly_min_trades": 2}})
    tally = outcome.tally["r"]
    assert len(outcome.result.trades) == 2
    assert tally["signals"] == plain.tally["r"]["signals"]
    assert tally["rejections_by_rule"] == {"sizing.kelly": tally["signals"] - 2}
