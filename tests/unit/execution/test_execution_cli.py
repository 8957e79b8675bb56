"""``quorum execution``: orders, reconciliation and the strategy throttle."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from apps.cli.commands.execution import app as execution_app

runner = CliRunner()


def _app() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(execution_app, name="execution")
    return root


def test_the_kill_switch_is_not_an_execution_subcommand() -> None:
    """One kill switch: `quorum kill-switch` moves the flag, execution and rules records."""
    result = runner.invoke(_app(), ["execution", "kill-switch", "on", "--by", "alice"])
    assert result.exit_code != 0
    assert "No such command" in result.output


def test_orders_lists_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = runner.invoke(_app(), ["execution", "orders", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
