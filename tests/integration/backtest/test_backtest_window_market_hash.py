"""The run's in-memory window market changes nothing: same trades, tally and result hash as
the plain loader, for the agents pipeline (scans, analyses, fills, monitor)."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestSpec, engine, run_backtest
from quorum.backtest.frames import WindowMarket
from quorum.clock import ReplayClock
from quorum.market import open_source
from quorum.ports import MarketData

SPEC = BacktestSpec(
    symbols=("BTC/USDT", "ETH/USDT"),
    timeframes=("15m", "1h", "4h"),
    start=datetime(2025, 1, 1, tzinfo=UTC),
    end=datetime(2025, 1, 1, 10, tzinfo=UTC),
    llm="offline",
)


def _run(db: Path) -> tuple[str, dict[str, Any], int]:
    runtime = backtest_runtime(db)
    try:
        out = run_backtest(SPEC, runtime)
    finally:
        runtime.close()
    tally = {k: v for k, v in next(iter(out.tally.values())).items() if k not in ("llm",)}
    return out.result_hash, tally, len(out.result.trades)


def test_window_market_and_plain_loader_give_identical_backtests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[MarketData] = []
    real = engine.run_market

    def spy(spec: BacktestSpec, clock: ReplayClock) -> MarketData:
        market = real(spec, clock)
        built.append(market)
        return market

    monkeypatch.setattr(engine, "run_market", spy)
    fast = _run(tmp_path / "fast.sqlite")
    assert isinstance(built[0], WindowMarket)
    assert built[0].served > 100, "the run must have been answered from the window"

    def plain(spec: BacktestSpec, clock: ReplayClock) -> MarketData:
        return open_source(
            spec.data, clock=clock, seed=spec.seed, base_timeframe=spec.base_timeframe
        )

    monkeypatch.setattr(engine, "run_market", plain)
    slow = _run(tmp_path / "slow.sqlite")
    assert fast[1]["candidates"] > 0, "the window must have candidates"
    assert fast[1]["analyses"], "the window must analyse"
    assert fast == slow
