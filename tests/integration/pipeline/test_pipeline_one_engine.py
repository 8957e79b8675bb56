"""One engine: `quorum run` and `quorum backtest` over the same two days are the same program.

Both commands build the pipeline through the one composition root and replay it through
the one bar driver; with the same data, window and settings they must take the same
decisions and trade the same way — signal for signal, order for order, fill for fill
(run ids, and so client ids, differ by design). The window is long enough for entries,
stop / target exits and the end-of-run flatten.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.cli.main import app

runner = CliRunner()
SYMBOLS = "BTC/USDT,ETH/USDT"
FRAMES = "15m,1h,4h"

QUERIES = {
    "signals": "SELECT symbol, as_of, direction, verdict, quantity, entry, stop_loss, "
    "take_profit, reason FROM pipeline_signals ORDER BY as_of, symbol",
    "orders": "SELECT symbol, side, leg, order_type, quantity, state, filled_quantity "
    "FROM execution_orders ORDER BY created_at, symbol, leg",
    "fills": "SELECT price, quantity, fee, ts FROM execution_fills ORDER BY ts, price",
    "trades": "SELECT symbol, direction, state, stop, take_profit, pnl FROM pipeline_trades "
    "ORDER BY opened_at, symbol",
}


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {name: conn.execute(query).fetchall() for name, query in QUERIES.items()}


def test_quorum_run_and_quorum_backtest_trade_the_same_two_days_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = runner.invoke(
        app,
        ["run", "--symbols", SYMBOLS, "--timeframes", FRAMES, "--steps", "192",
         "--db", f"sqlite:///{tmp_path / 'run.db'}", "--json"],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    backtest = runner.invoke(
        app,
        ["backtest", "--symbols", SYMBOLS, "--timeframes", FRAMES,
         "--start", "2025-01-01T00:00:00Z", "--end", "2025-01-03T00:00:00Z",
         "--llm", "offline", "--db", str(tmp_path / "bt.db"), "--json"],
    )  # fmt: skip
    assert backtest.exit_code == 0, backtest.output
    ours, theirs = _rows(tmp_path / "run.db"), _rows(tmp_path / "bt.db")
    assert ours["signals"], "the window must produce signals"
    assert {o[2] for o in ours["orders"]} >= {"entry"}
    assert len(ours["fills"]) >= 4
    for name in QUERIES:
        assert ours[name] == theirs[name], name
    summary = json.loads(backtest.output[backtest.output.index("{") :])
    assert summary["trades"] == sum(1 for t in ours["trades"] if t[2] == "closed")
