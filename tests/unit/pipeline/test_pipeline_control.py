"""The one kill switch flattens and blocks; status reports positions, orders and switches."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.pipeline.kit import make_kit, open_position

from quorum.domain import JournalKind, TradingState, format_time
from quorum.execution.paper.faults import Faults
from quorum.pipeline.accounting import rules_state


def test_engaging_the_kill_switch_flattens_then_halts_in_the_one_trading_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit)
        assert [p.quantity for p in kit.tasks.deps.execution.positions() if p.quantity] != []
        result = kit.tasks.set_kill_switch(True, by="alice", reason="drill")
        assert result["engaged"] is True
        assert result["state"] == "halted"
        assert result["failures"] == []
        assert result["positions_left"] == []
        assert [(f["state"], f["filled"]) for f in result["flattened"]] == [("filled", True)]
        assert all(p.quantity == 0 for p in kit.tasks.deps.execution.positions())
        execution = kit.tasks.deps.execution
        assert execution.trading_status().state is TradingState.HALTED
        assert kit.runtime.flags.get("kill_switch") is False  # the flag is not a record
        status = kit.tasks.status()
        assert (status.kill_switch.engaged, status.kill_switch.state) == (True, "halted")
        assert status.kill_switch.by == "alice"
        assert status.positions == ()
        moves = [
            (e.payload["from"], e.payload["to"])
            for e in kit.runtime.journal.read(kinds=[JournalKind.KILL_SWITCH])
            if e.payload.get("event") == "trading_state"
        ]
        assert moves == [("active", "reducing"), ("reducing", "halted")]
        # while engaged an analysis cannot open anything
        as_of = format_time(kit.clock.now().replace(second=0))
        assert kit.tasks.analyze("BTC/USDT", as_of, "15m")["status"] != "approved"
        off = kit.tasks.set_kill_switch(False, by="alice", reason="drill over")
        assert off["state"] == "active"
        assert not kit.tasks.status().kill_switch.engaged
    finally:
        kit.close()


def test_the_risk_gate_reads_the_trading_state_record_at_each_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        execution = kit.tasks.deps.execution
        execution.set_trading_state(TradingState.REDUCING, "erin", "another process")
        with kit.tasks.deps.engine.connect() as conn:
            state, _ = rules_state(kit.tasks.deps, conn)
        assert state.kill_switch is not None
        assert state.kill_switch.by == "erin"
        assert state.kill_switch.state is TradingState.REDUCING
        execution.set_trading_state(TradingState.ACTIVE, "erin", "back")
        with kit.tasks.deps.engine.connect() as conn:
            assert rules_state(kit.tasks.deps, conn)[0].kill_switch is None
    finally:
        kit.close()


def test_a_flag_flip_engages_the_trading_state_at_the_next_monitor_and_is_consumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit)
        kit.runtime.flags.set("kill_switch", True, "bob", "flag only")
        kit.tasks.monitor()
        assert kit.tasks.deps.execution.trading_status().state is TradingState.HALTED
        assert all(p.quantity == 0 for p in kit.tasks.deps.execution.positions())
        assert kit.runtime.flags.get("kill_switch") is False
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


def test_positions_left_nudge_the_workers_monitor_and_a_broker_outage_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    kit = make_kit()
    try:
        open_position(kit)
        monkeypatch.setattr(Faults, "down", property(lambda self: True))
        result = kit.tasks.set_kill_switch(True, by="alice", reason="venue down")
        assert result["state"] == "reducing"
        assert result["positions_left"]
        assert kit.dispatcher.submitted["monitor"] == 1

        def refuse(task: str, kwargs: object, *, key: str) -> None:
            raise RuntimeError("broker down")

        monkeypatch.setattr(kit.dispatcher, "submit", refuse)
        again = kit.tasks.set_kill_switch(True, by="alice", reason="still down")
        assert any("not nudged" in f and "broker down" in f for f in again["failures"])
    finally:
        kit.close()
