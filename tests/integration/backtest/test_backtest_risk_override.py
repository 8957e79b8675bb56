"""A spec's risk override reaches the run: the risk gate enforces it, the run records it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from apps.cli.commands.backtest import backtest_runtime
from quorum.backtest import BacktestOutcome, BacktestSpec, get_run, run_backtest

CAPPED = {"account": {"max_trades": 1, "trades_window": "P7D"}}


def _run(tmp: Path, risk: dict[str, Any] | None) -> tuple[BacktestSpec, BacktestOutcome, Any]:
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
        outcome = run_backtest(spec, runtime, run_id="r")
        record = get_run(runtime.engine, "r")
    finally:
        runtime.close()
    return spec, outcome, record


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> tuple[BacktestSpec, BacktestOutcome, Any]:
    return _run(tmp_path_factory.mktemp("plain"), None)


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> tuple[BacktestSpec, BacktestOutcome, Any]:
    return _run(tmp_path_factory.mktemp("capped"), CAPPED)


def test_without_override_the_rule_trades_more_than_once(plain: Any) -> None:
    assert len(plain[1].result.trades) > 1


def test_max_trades_override_caps_entries_and_names_the_rule(capped: Any, plain: Any) -> None:
    _, outcome, _ = capped
    assert len(outcome.result.trades) == 1
    tally = outcome.tally["r"]
    assert tally["rejections_by_rule"] == {"account.max_trades": tally["signals"] - 1}
    assert tally["signals"] == plain[1].tally["r"]["signals"]


def test_run_record_carries_the_config_hash_with_the_override(capped: Any, plain: Any) -> None:
    spec, outcome, record = capped
    assert record["config_hash"] == spec.config_hash() == outcome.result.config_hash
    assert record["config_hash"] != plain[2]["config_hash"]
