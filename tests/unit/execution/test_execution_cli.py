"""``quorum execution``: the kill switch survives the process and needs a name to lift."""

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


def test_kill_switch_on_then_off_is_persisted_and_journaled(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    on = runner.invoke(_app(), ["execution", "kill-switch", "on", "--by", "alice", "--db", db])
    again = runner.invoke(_app(), ["execution", "kill-switch", "off", "--by", "bob", "--db", db])
    twice = runner.invoke(_app(), ["execution", "kill-switch", "off", "--by", "bob", "--db", db])

    assert on.exit_code == 0, on.output
    assert "engaged by alice" in on.output
    assert "lifted by bob" in again.output
    assert "was not engaged" in twice.output


def test_kill_switch_needs_a_name(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = runner.invoke(_app(), ["execution", "kill-switch", "on", "--by", " ", "--db", db])
    assert result.exit_code == 1


def test_orders_lists_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    result = runner.invoke(_app(), ["execution", "orders", "--json", "--db", db])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
