"""Same data, config and seed ⇒ identical trades and result hash (fresh database each)."""

from datetime import UTC, datetime
from pathlib import Path

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestSpec, run_backtest


def _run(db: Path) -> tuple[str, list[tuple[str, str, str]]]:
    spec = BacktestSpec(
        symbols=("BTC/USDT", "ETH/USDT"),
        timeframes=("15m",),
        start=datetime(2025, 1, 1, tzinfo=UTC),
        end=datetime(2025, 1, 2, 12, tzinfo=UTC),
        llm="offline",
        strategy="ema-cross:5,20",
        refresh=False,
    )
    runtime = backtest_runtime(db)
    try:
        out = run_backtest(spec, runtime)
    finally:
        runtime.close()
    return out.result_hash, [
        (t.symbol, t.entry_time.isoformat(), str(t.exit_price)) for t in out.result.trades
    ]


def test_two_runs_of_one_spec_give_identical_trades_and_hash(tmp_path: Path) -> None:
    first = _run(tmp_path / "a.sqlite")
    second = _run(tmp_path / "b.sqlite")
    assert first[1], "the window must trade for the comparison to mean something"
    assert first == second
