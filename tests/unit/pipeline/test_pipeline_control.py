"""The one kill switch flattens and blocks; status reports positions, orders and switches."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.pipeline.kit import make_kit, open_position

from quorum.domain import format_time


def test_engaging_the_kill_switch_flattens_positions_and_sets_all_three_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit)
        assert [p.quantity for p in kit.tasks.deps.execution.positions() if p.quantity] != []
        result = kit.tasks.set_kill_switch(True, by="alice", reason="drill")
        assert result["engaged"] is True
        assert [f["state"] for f in result["flattened"]] == ["filled"]
        assert all(p.quantity == 0 for p in kit.tasks.deps.execution.positions())
        assert kit.runtime.flags.get("kill_switch") is True
        assert kit.tasks.deps.execution.kill_switch_engaged()
        status = kit.tasks.status()
        assert status.kill_switch.engaged
        assert status.kill_switch.by == "alice"
        assert status.positions == ()
        # while engaged an analysis cannot open anything
        as_of = format_time(kit.clock.now().replace(second=0))
        assert kit.tasks.analyze("BTC/USDT", as_of, "15m")["status"] != "approved"
        kit.tasks.set_kill_switch(False, by="alice", reason="drill over")
        assert kit.runtime.flags.get("kill_switch") is False
        assert not kit.tasks.status().kill_switch.engaged
    finally:
        kit.close()


def test_a_flag_flip_alone_engages_the_execution_switch_at_the_next_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit)
        kit.runtime.flags.set("kill_switch", True, "bob", "flag only")
        kit.tasks.monitor()
        assert kit.tasks.deps.execution.kill_switch_engaged()
        assert all(p.quantity == 0 for p in kit.tasks.deps.execution.positions())
    finally:
        kit.close()


def test_the_kill_switch_refuses_an_unnamed_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        with pytest.raises(ValueError, match="by"):
            kit.tasks.set_kill_switch(True, by=" ", reason="x")
    finally:
        kit.close()


def test_status_lists_the_open_position_with_its_mark_and_todays_pnl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit, "0.25")
        report = kit.tasks.status()
        (position,) = report.positions
        assert position.symbol == "BTC/USDT"
        assert str(position.quantity) == "0.25"
        assert position.mark is not None
        assert position.unrealized_pnl is not None
        assert report.open_orders == ()
        assert report.safe_mode is None
        assert report.lockouts == ()
        assert not report.kill_switch.engaged
        data = report.model_dump(mode="json")
        assert data["pnl"]["equity"]
        assert data["trading_mode"] == "paper"
    finally:
        kit.close()
