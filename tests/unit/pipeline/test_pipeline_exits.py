"""Exits through the wired task bodies: a position is closed once, never flipped.

The execute queue may be slower than one monitor pass (Celery under load, a venue outage):
every pass that still sees the stop condition must find the exit it already stored, not
store another one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.pipeline.kit import ScriptedMarket, drain, make_kit, next_bar, open_trade

from quorum.domain import OrderLeg
from quorum.pipeline.store import trades


def _exits(kit: object) -> list[object]:
    deps = kit.tasks.deps  # type: ignore[attr-defined]
    return [o for o in deps.execution.orders() if o.leg is not OrderLeg.ENTRY]


def test_two_monitor_passes_before_execute_store_one_exit_and_leave_the_position_flat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    market = ScriptedMarket()
    kit = make_kit(market=market)
    try:
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
    finally:
        kit.close()
