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
from quorum.domain import TradingState, format_time
from quorum.execution.paper.faults import Faults

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
    assert shown["kill_switch"]["state"] == "halted"
    assert shown["kill_switch"]["by"] == "carol"


def test_kill_switch_on_exits_1_when_the_venue_is_down_and_the_workers_sweep_flattens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_one(tmp_path, monkeypatch)
    with monkeypatch.context() as outage:  # this process cannot reach the venue
        outage.setattr(Faults, "down", property(lambda self: True))
        on = runner.invoke(cli, ["kill-switch", "on", "--reason", "venue", "--by", "dan", "--json"])
    assert on.exit_code == 1, on.output
    result = json.loads(on.output)
    assert result["state"] == "reducing"
    assert result["flattened"] == []
    assert result["positions_left"]
    assert result["failures"]
    kit = make_kit()  # a worker's pipeline: its next monitor sweep flattens, then halts
    try:
        as_of = format_time(kit.clock.now().replace(second=0))
        assert kit.tasks.analyze("BTC/USDT", as_of, "15m")["status"] != "approved"
        kit.tasks.monitor()
        assert all(p.quantity == 0 for p in kit.tasks.deps.execution.positions())
        assert kit.tasks.deps.execution.trading_status().state is TradingState.HALTED
    finally:
        kit.close()


def test_kill_switch_text_output_names_each_exit_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _open_one(tmp_path, monkeypatch)
    on = runner.invoke(cli, ["kill-switch", "on", "--reason", "drill", "--by", "carol"])
    assert on.exit_code == 0, on.output
    assert "trading halted" in on.output
    assert "flatten BTC/USDT 0.25:" in on.output
    assert "filled" in on.output
    off = runner.invoke(cli, ["kill-switch", "off", "--reason", "done", "--by", "carol", "--json"])
    assert off.exit_code == 0, off.output
    assert json.loads(off.output)["state"] == "active"
