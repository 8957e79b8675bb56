"""`quorum status` and `quorum kill-switch` through Typer, on a temporary database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from apps.cli.commands import killswitch, status
from apps.cli.main import app

runner = CliRunner()
cli = typer.Typer()
cli.command("status")(status.status)
cli.command("kill-switch")(killswitch.kill_switch)


def test_status_on_a_fresh_database_reports_nothing_open_and_the_switch_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["positions"] == []
    assert report["open_orders"] == []
    assert report["kill_switch"]["engaged"] is False
    assert report["safe_mode"] is None
    assert report["lockouts"] == []


def test_kill_switch_on_then_off_is_journaled_with_the_caller_and_shown_by_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    on = runner.invoke(cli, ["kill-switch", "on", "--reason", "drill", "--by", "carol", "--json"])
    assert on.exit_code == 0, on.output
    assert json.loads(on.output)["engaged"] is True
    shown = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert shown["kill_switch"] == {
        "engaged": True,
        "state": "halted",
        "by": "carol",
        "reason": "drill",
        "since": shown["kill_switch"]["since"],
    }
    off = runner.invoke(cli, ["kill-switch", "off", "--reason", "done", "--by", "carol"])
    assert off.exit_code == 0, off.output
    assert (
        json.loads(runner.invoke(cli, ["status", "--json"]).output)["kill_switch"]["engaged"]
        is False
    )
    import sqlite3

    with sqlite3.connect(tmp_path / "var" / "quorum.db") as db:
        actors = [
            r[0] for r in db.execute("SELECT actor FROM journal_entries WHERE kind = 'kill_switch'")
        ]
    assert "carol" in actors


def test_kill_switch_refuses_a_state_other_than_on_or_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["kill-switch", "maybe", "--reason", "x"])
    assert result.exit_code == 2


def test_status_reads_the_database_a_run_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = runner.invoke(app, ["run", "--steps", "2", "--symbols", "BTC/USDT", "--json"])
    assert run.exit_code == 0, run.output
    database = json.loads(run.output)["database"]
    shown = runner.invoke(app, ["status", "--db", database, "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["trading_mode"] == "paper"
    bad = runner.invoke(app, ["status", "--db", "nonsense://x"])
    assert bad.exit_code == 1
    assert "backend 'nonsense' is not supported" in bad.output
    assert "Traceback" not in bad.output
