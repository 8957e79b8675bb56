"""A fill that gaps away from the planned stop is a risk event, never a crash.

The gate approves the stop against the signal's close; the entry fills at the next open.
When that open gapped so far that the planned stop is more than 10 % from the fill (or at /
through it), `monitor` used to build a `Position` pydantic refuses and raise on every pass
while the position was open — its stop and target unenforced, and every other position
unwatched with it. (Issue #19 item 3; the bundled GOOG daily history died this way.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.pipeline.kit import next_bar, open_trade, scripted_kit

from quorum.domain import MAX_STOP_FRACTION, MIN_STOP_FRACTION
from quorum.pipeline import monitor_task, protection
from quorum.pipeline.persistence import Trade, trades


def _trade(direction: str, stop: Decimal) -> Trade:
    return Trade(
        trade_id="t1",
        run_id="r",
        venue="paper",
        symbol="BTC/USDT",
        direction=direction,
        signal_id="s1",
        state="open",
        stop=stop,
        initial_stop=stop,
        take_profit=None,
        best_price=None,
        exit_orders=(),
        pnl=None,
        r_multiple=None,
        learned=False,
        opened_at=datetime(2025, 1, 1, tzinfo=UTC),
        closed_at=None,
        version=1,
    )


@settings(max_examples=300, deadline=None)
@given(
    direction=st.sampled_from(["long", "short"]),
    planned=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.10"), places=4),
    gap=st.decimals(min_value=Decimal("-0.9"), max_value=Decimal("5"), places=4),
)
def test_every_gapped_open_gives_a_valid_protective_stop_within_the_band(
    direction: str, planned: Decimal, gap: Decimal
) -> None:
    """Planned stop `planned` from the signal's close 100; the fill gapped by `gap` (as a
    fraction of 100, either way). The position is always buildable with a stop inside the
    band; the enforced (working) stop is never looser than the planned one and never more
    than the band's outer edge from the fill."""
    long = direction == "long"
    close = Decimal(100)
    stop = close * (1 - planned) if long else close * (1 + planned)
    fill = close * (1 + gap)
    trade = _trade(direction, stop)
    working = monitor_task.working_stop(trade, fill)
    deps: Any = SimpleNamespace(run_id="r", settings=SimpleNamespace(protective_orders=False))
    watched = monitor_task._monitored(
        deps, replace(trade, stop=working), Decimal("0.5"), fill, trade.opened_at, None
    )
    nominal = watched.position.stop_loss
    distance = (fill - nominal) / fill if long else (nominal - fill) / fill
    assert (
        MIN_STOP_FRACTION * Decimal("0.999999")
        <= distance
        <= MAX_STOP_FRACTION * Decimal("1.000001")
    )
    assert watched.current_stop == working
    assert (working >= stop) if long else (working <= stop), "never looser than planned"
    reach = (fill - working) / fill if long else (working - fill) / fill
    assert reach <= MAX_STOP_FRACTION * Decimal("1.000001")


def test_a_fill_gapped_beyond_the_band_is_protected_journaled_and_monitored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="80", target="130")  # fills at 100: 20 % away
        next_bar(kit, market, 100, 101, 99, 100)
        result = kit.tasks.monitor()
        alerts = [a for a in result["actions"] if a["rule"] == "monitor.stop_rederived"]
        assert len(alerts) == 1
        assert Decimal(alerts[0]["new_stop"]) == Decimal(100) * (1 - MAX_STOP_FRACTION)
        with kit.runtime.engine.connect() as conn:
            (trade,) = trades(conn, states=["open"], run_id=kit.tasks.deps.run_id)
        assert trade.trade_id == trade_id
        assert trade.stop == Decimal(100) * (1 - MAX_STOP_FRACTION)
        again = kit.tasks.monitor()
        assert not [a for a in again["actions"] if a["rule"] == "monitor.stop_rederived"]
        (stop,) = protection.generations(kit.tasks.deps, trade, protection.STOP)
        assert stop.stop_price == trade.stop  # the re-derived stop rests at the venue
        next_bar(kit, market, 100, 100, 89, 89.5)  # the re-derived stop is enforced
        closed = kit.tasks.monitor()
        assert closed["trades"]["closed"] == 1
        filled = kit.tasks.deps.execution.order(stop.client_order_id)
        assert filled.average_price == trade.stop  # filled at the venue, at the stop


def test_one_positions_failure_does_not_stop_the_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        open_trade(kit, "0.5", stop="95", target="110")
        next_bar(kit, market, 100, 101, 99, 100)
        real = monitor_task._entered

        def broken(deps: Any, trade: Trade) -> datetime:
            raise RuntimeError(f"state of {trade.trade_id} unreadable")

        monkeypatch.setattr(monitor_task, "_entered", broken)
        result = kit.tasks.monitor()
        failed = [a for a in result["actions"] if a["rule"] == "monitor.position_failed"]
        assert len(failed) == 1
        assert "unreadable" in failed[0]["reason"]
        monkeypatch.setattr(monitor_task, "_entered", real)
        assert kit.tasks.monitor()["open_positions"] == 1
