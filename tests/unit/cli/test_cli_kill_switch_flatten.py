"""`quorum kill-switch on` against a database with an open position: it must flatten (with
start-up reconciliation, so the exit may be sent), report each position's exit order and
exit non-zero when anything could not be done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from tests.unit.pipeline.kit import make_kit, open_position
from typer.testing import CliRunner

from apps.cli.commands import killswitch, status

runner = CliRunner()
cli = typer.Typer()
cli.command("status")(status.status)
cli.command("kill-switch")(killswitch.kill_switch)


def _open_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit, "0.25")
        assert [p.quantity for p in kit.tasks.deps.execution.positions() if p.quantity]
    finally:
        kit.close()


def test_kill_switch_on_flattens_an_open_position_and_reports_its_exit_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_one(tmp_path, monkeypatch)
    on = runner.invoke(cli, ["kill-switch", "on", "--reason", "drill", "--by", "carol", "--json"])
    assert on.exit_code == 0, on.output
    result = json.loads(on.output)
    (flat,) = result["flattened"]
    assert flat["symbol"] == "BTC/USDT"
    assert flat["state"] == "filled", flat
    assert flat["client_order_id"]
    assert "error" not in flat
    shown = json.loads(runner.invoke(cli, ["status", "--json"]).output)
    assert shown["positions"] == []
    assert shown["kill_switch"]["engaged"] is True
