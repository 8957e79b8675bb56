"""The regression gate through the CLI on its small fixed synthetic window (< 60 s)."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from apps.cli.commands.backtest import backtest

GATE = Path(__file__).resolve().parents[3] / "benchmarks" / "gate.yaml"


def _app() -> Any:
    import typer

    app = typer.Typer()
    app.command()(backtest)
    return app


def test_gate_window_passes_and_writes_run_record_and_report(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        _app(),
        [
            "--gate",
            str(GATE),
            "--db",
            str(tmp_path / "run.sqlite"),
            "--report",
            str(tmp_path / "r"),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output[out.output.index("{") :])
    assert summary["gate"]["passed"] is True
    assert summary["trades"] > 0
    assert (tmp_path / "r" / "report.html").exists()
    from sqlalchemy import create_engine

    from quorum.backtest import get_run

    run = get_run(create_engine(f"sqlite:///{tmp_path / 'run.sqlite'}"), summary["run_id"])
    assert run is not None
    assert run["status"] == "completed"
    assert run["mode"] == "replay"
    assert run["result_hash"] == summary["result_hash"]
    assert run["trades_closed"] == summary["trades"]


def test_gate_fails_with_exit_1_when_drawdown_limit_is_tighter(tmp_path: Path) -> None:
    strict = tmp_path / "gate.yaml"
    strict.write_text(GATE.read_text().replace("max_drawdown: 0.05", "max_drawdown: 0.0001"))
    out = CliRunner().invoke(
        _app(), ["--gate", str(strict), "--db", str(tmp_path / "x.sqlite"), "--json"]
    )
    assert out.exit_code == 1, out.output
