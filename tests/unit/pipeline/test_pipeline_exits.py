"""Exits through the wired task bodies: a position is closed once, never flipped.

The execute queue may be slower than one monitor pass (Celery under load, a venue outage):
every pass that still sees the stop condition must find the exit it already stored, not
store another one.

These drive the monitor's own (market) exits — the fallback where no protective order rests
at the venue — so they run with ``pipeline.protective_orders`` off; the venue-resting stop
is driven by ``test_pipeline_protection.py``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.pipeline.kit import drain, next_bar, open_trade, scripted_kit

from quorum.domain import OrderLeg, OrderState
from quorum.pipeline.persistence import trades

SOFT_STOP = {"protective_orders": False}


def _exits(kit: object) -> list[object]:
    deps = kit.tasks.deps  # type: ignore[attr-defined]
    return [o for o in deps.execution.orders() if o.leg is not OrderLeg.ENTRY]


def test_two_monitor_passes_before_execute_store_one_exit_and_leave_the_position_flat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(pipeline=SOFT_STOP) as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95")
        next_bar(kit, market, 100, 100, 94, 94.5)  # the stop is touched
        first = kit.tasks.monitor()
        assert [a["rule"] for a in first["actions"]] == ["monitor.stop_loss"]
        next_bar(kit, market, 94.5, 95, 94, 94.6)  # still below the stop; nothing executed yet
        second = kit.tasks.monitor()
        assert [a["rule"] for a in second["actions"]] == ["monitor.stop_loss"]
        assert second["actions"][0]["client_order_id"] == first["actions"][0]["client_order_id"]
        drain(kit)
        exits = _exits(kit)
        assert len(exits) == 1, [(o.client_order_id, o.state) for o in exits]
        deps = kit.tasks.deps
        ours = {p.symbol: p.quantity for p in deps.execution.positions() if p.quantity}
        venue = {p.symbol: p.quantity for p in kit.venue.positions()}
        assert ours == {}
        assert venue == {}
        kit.tasks.monitor()
        with deps.engine.connect() as conn:
            (trade,) = [t for t in trades(conn, run_id=deps.run_id) if t.trade_id == trade_id]
        assert trade.state == "closed"
        assert trade.exit_orders == (exits[0].client_order_id,)  # type: ignore[attr-defined]
        assert exits[0].filled_quantity == Decimal("0.5")  # type: ignore[attr-defined]


def test_an_exit_that_died_is_followed_by_the_next_generation_of_that_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(pipeline=SOFT_STOP) as (kit, market):
        open_trade(kit, "0.5", stop="95")
        next_bar(kit, market, 100, 100, 94, 94.5)
        first = kit.tasks.monitor()["actions"][0]["client_order_id"]
        execution = kit.tasks.deps.execution
        dead = execution.executor.cancel(execution.order(first), "operator cancelled it")
        assert dead.state is OrderState.CANCELLED
        next_bar(kit, market, 94.5, 95, 94, 94.6)
        second = kit.tasks.monitor()["actions"][0]
        assert second["intent"] == "stored"
        assert second["client_order_id"] != first
        drain(kit)
        assert [p.quantity for p in execution.positions() if p.quantity] == []
        assert kit.venue.positions() == []


def test_the_kill_switch_flattens_now_and_the_exit_still_queued_is_refused_at_its_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit(pipeline=SOFT_STOP) as (kit, market):
        open_trade(kit, "0.5", stop="95")
        next_bar(kit, market, 100, 100, 94, 94.5)
        queued = kit.tasks.monitor()["actions"][0]["client_order_id"]
        result = kit.tasks.set_kill_switch(True, by="alice", reason="drill")
        assert [f["state"] for f in result["flattened"]] == ["filled"]
        drain(kit)
        execution = kit.tasks.deps.execution
        refused = execution.order(queued)
        assert refused.state is OrderState.CANCELLED
        assert refused.filled_quantity == 0
        assert "trading halted" in (refused.last_error or "")  # flat, so halted: no sends
        assert [p.quantity for p in execution.positions() if p.quantity] == []
        assert kit.venue.positions() == []
