"""`quorum backtest` exits through the same protective orders as the live pipeline: the
stop and take-profit rest at the replay venue as reduce-only stop / limit orders (issue
#18 item 2), and a stop-loss exit is the fill of that stop order, never a market exit the
monitor emulated at the stop's level."""

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from apps.cli.commands.backtest import backtest


def _app() -> Any:
    import typer

    app = typer.Typer()
    app.command()(backtest)
    return app


def test_backtest_stop_and_target_exits_are_fills_of_the_resting_venue_orders(
    tmp_path: Path,
) -> None:
    out = CliRunner().invoke(
        _app(),
        [
            "--symbols",
            "BTC/USDT,ETH/USDT",
            "--timeframes",
            "15m",
            "--start",
            "2025-01-01T00:00:00Z",
            "--end",
            "2025-01-04T00:00:00Z",
            "--llm",
            "offline",
            "--strategy",
            "ema-cross:10,30,0.004,0.012",
            "--db",
            str(tmp_path / "run.sqlite"),
            "--report",
            str(tmp_path / "r"),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    reasons = [t["exit_reason"] for t in report["trade_list"]]
    assert "stop_loss" in reasons, reasons
    engine = create_engine(f"sqlite:///{tmp_path / 'run.sqlite'}")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select leg, order_type, reduce_only, state from execution_orders "
                "where leg in ('stop_loss', 'take_profit')"
            )
        ).all()
    filled = [(leg, kind) for leg, kind, reduce_only, state in rows if state == "filled"]
    assert all(reduce_only for _, _, reduce_only, _ in rows)
    assert {kind for leg, kind, _, _ in rows if leg == "stop_loss"} == {"stop"}
    assert {kind for leg, kind, _, _ in rows if leg == "take_profit"} <= {"limit"}
    assert filled.count(("stop_loss", "stop")) == reasons.count("stop_loss")
    assert filled.count(("take_profit", "limit")) == reasons.count("take_profit")
