"""Protective orders rest at the venue (issue #18 item 2), through the wired task bodies.

After every entry fill a reduce-only stop and take-profit rest at the paper venue under
derived client ids, sized to what filled; breakeven / trailing moves are cancel-replace;
when one leg fills the other is cancelled and the trade closes from the venue's fill; a
position whose stop is missing at the venue is closed by ``account.unprotected_position``
after its grace; and a stop fills at the venue while no worker runs.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.unit.pipeline.kit import Kit, drain, next_bar, open_trade, scripted_kit

from quorum.domain import (
    ExitCause,
    OrderLeg,
    OrderState,
    OrderType,
    Side,
    derive_exit_client_order_id,
)
from quorum.execution import ExecOrder
from quorum.execution.errors import OrderRejected
from quorum.pipeline.persistence import Trade, trades
from quorum.ports import OrderRequest

SYMBOL = "BTC/USDT"


def _trade(kit: Kit, trade_id: str) -> Trade:
    deps = kit.tasks.deps
    with deps.engine.connect() as conn:
        (trade,) = [t for t in trades(conn, run_id=deps.run_id) if t.trade_id == trade_id]
    return trade


def _cid(kit: Kit, trade_id: str, leg: OrderLeg, rule: str, generation: int) -> str:
    deps = kit.tasks.deps
    cause = ExitCause(subject=trade_id, rule=rule, generation=generation)
    return derive_exit_client_order_id(
        deps.run_id, deps.settings.strategy, SYMBOL, Side.SELL, leg, cause
    )


def _resting(kit: Kit) -> dict[str, Any]:
    """The venue's open orders by client id."""
    return {o.client_order_id: o for o in kit.venue.open_orders(SYMBOL)}


def _ours(kit: Kit) -> list[ExecOrder]:
    return [o for o in kit.tasks.deps.execution.orders() if o.leg is not OrderLeg.ENTRY]


def test_an_entry_fill_places_one_stop_and_one_target_at_the_venue_with_derived_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="110")
        stop_id = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        target_id = _cid(kit, trade_id, OrderLeg.TAKE_PROFIT, "protect.target", 0)
        resting = _resting(kit)
        assert set(resting) == {stop_id, target_id}
        stop, target = resting[stop_id], resting[target_id]
        assert (stop.order_type, stop.side, stop.quantity) == (
            OrderType.STOP,
            Side.SELL,
            Decimal("0.5"),
        )
        assert (target.order_type, target.price, target.quantity) == (
            OrderType.LIMIT,
            Decimal("110"),
            Decimal("0.5"),
        )
        ours = {o.client_order_id: o for o in _ours(kit)}
        assert ours[stop_id].reduce_only
        assert ours[target_id].reduce_only
        assert ours[stop_id].stop_price == Decimal("95")
        # a redelivered fill event and further monitor passes place nothing new
        kit.tasks.execute(trade_id)
        next_bar(kit, market, 100, 101, 99, 100)
        kit.tasks.monitor()
        drain(kit)
        kit.tasks.monitor()
        assert set(_resting(kit)) == {stop_id, target_id}
        assert len(_ours(kit)) == 2
        assert kit.venue.stats.accepted[stop_id] == 1


def test_a_partial_entry_fill_protects_what_filled_and_a_further_fill_resizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        kit.venue.settings = kit.venue.settings.model_copy(
            update={"partial_fill_ratio": Decimal("0.5")}
        )
        trade_id = open_trade(kit, "0.5", stop="95", target="110")
        entry = kit.tasks.deps.execution.order(trade_id)
        assert entry.filled_quantity == Decimal("0.25")
        first = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        assert _resting(kit)[first].quantity == Decimal("0.25")
        next_bar(kit, market, 100, 101, 99, 100)
        kit.tasks.execute(trade_id)  # the entry's next fill is seen
        drain(kit)
        assert kit.tasks.deps.execution.order(trade_id).filled_quantity == Decimal("0.375")
        second = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 1)
        resting = _resting(kit)
        assert first not in resting
        assert resting[second].quantity == Decimal("0.375")
        assert kit.tasks.deps.execution.order(first).state is OrderState.CANCELLED
        stops = [o for o in resting.values() if o.order_type is OrderType.STOP]
        assert len(stops) == 1


def test_the_stop_fills_the_target_is_cancelled_and_the_trade_closes_from_the_venue_fill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="110")
        next_bar(kit, market, 100, 100.5, 94, 94.5)
        result = kit.tasks.monitor()
        assert result["trades"]["closed"] == 1
        assert not [a for a in result["actions"] if a.get("client_order_id")]  # no market exit
        stop = kit.tasks.deps.execution.order(
            _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        )
        target = kit.tasks.deps.execution.order(
            _cid(kit, trade_id, OrderLeg.TAKE_PROFIT, "protect.target", 0)
        )
        assert stop.state is OrderState.FILLED
        assert stop.average_price == Decimal("95")
        assert target.state is OrderState.CANCELLED
        assert _resting(kit) == {}
        assert kit.venue.positions() == []
        trade = _trade(kit, trade_id)
        assert trade.state == "closed"
        assert trade.pnl is not None
        assert trade.pnl < 0
        assert len(_ours(kit)) == 2  # the stop and the target: nothing else was sent


def test_breakeven_is_a_cancel_replace_never_two_stops_and_never_none_past_one_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="130")
        first = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        seen: list[list[str]] = []
        real = kit.venue.submit

        def watch(request: OrderRequest) -> Any:
            seen.append(sorted(o.client_order_id for o in kit.venue.open_orders(SYMBOL)))
            return real(request)

        monkeypatch.setattr(kit.venue, "submit", watch)
        next_bar(kit, market, 100, 106, 100, 105.5)  # +1.1 R at the close
        result = kit.tasks.monitor()
        (move,) = [a for a in result["actions"] if a["rule"] == "monitor.breakeven"]
        assert Decimal(move["new_stop"]) == Decimal(100)
        assert kit.tasks.deps.execution.order(first).state is OrderState.CANCELLED
        drain(kit)  # the one round trip: the replacement is sent
        second = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 1)
        assert seen
        assert first not in seen[-1]
        stops = [o for o in _resting(kit).values() if o.order_type is OrderType.STOP]
        assert [s.client_order_id for s in stops] == [second]
        assert kit.tasks.deps.execution.order(second).stop_price == Decimal(100)
        assert _trade(kit, trade_id).stop == Decimal(100)
        again = kit.tasks.monitor()
        assert not [a for a in again["actions"] if a["rule"] == "account.unprotected_position"]


def test_trailing_gets_its_atr_and_the_venue_stop_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="200")
        price = 100.0
        moves: list[dict[str, Any]] = []
        for _ in range(20):
            price += 1.0
            next_bar(kit, market, price - 1, price + 0.5, price - 1.5, price)
            moves += [a for a in kit.tasks.monitor()["actions"] if a["kind"] == "move_stop"]
            drain(kit)
        trailing = [m for m in moves if m["rule"] == "monitor.trailing_stop"]
        assert trailing, moves
        stop = _trade(kit, trade_id).stop
        (resting,) = [o for o in _resting(kit).values() if o.order_type is OrderType.STOP]
        assert kit.tasks.deps.execution.order(resting.client_order_id).stop_price == stop
        assert stop > Decimal(100)


def test_a_stop_the_venue_refuses_leaves_the_position_unprotected_and_the_rule_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        real = kit.venue.submit

        def no_stops(request: OrderRequest) -> Any:
            if request.order_type is OrderType.STOP:
                raise OrderRejected(f"paper: order {request.client_order_id}: stops disabled")
            return real(request)

        monkeypatch.setattr(kit.venue, "submit", no_stops)
        trade_id = open_trade(kit, "0.5", stop="95", target="110")
        first = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        assert kit.tasks.deps.execution.order(first).state is OrderState.REJECTED
        next_bar(kit, market, 100, 101, 99, 100)
        result = kit.tasks.monitor()
        (close,) = [a for a in result["actions"] if a["rule"] == "account.unprotected_position"]
        assert close["intent"] == "stored"
        drain(kit)
        assert kit.venue.positions() == []
        kit.tasks.monitor()
        assert _trade(kit, trade_id).state == "closed"


def test_a_gap_through_the_stop_during_a_worker_outage_fills_the_venue_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The defect reproduction: no monitor runs for three bars while the price gaps through
    the stop and recovers. The stop resting at the venue fills at the gap's open; before
    protective orders the position was still open after the outage (the monitor only sees
    the latest closed bar, which had recovered)."""
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="110")
        next_bar(kit, market, 100, 101, 99, 100)
        kit.tasks.monitor()
        drain(kit)
        next_bar(kit, market, 90, 91, 89, 90.5)  # gaps through the stop; no worker runs
        next_bar(kit, market, 91, 99, 90.5, 98)
        next_bar(kit, market, 98, 101, 97, 100)  # recovered
        result = kit.tasks.monitor()
        drain(kit)
        assert kit.venue.positions() == []
        assert result["trades"]["closed"] == 1
        assert _trade(kit, trade_id).state == "closed"
        fills = [t for t in kit.venue.trades(SYMBOL) if t.side is Side.SELL]
        assert [t.price for t in fills] == [Decimal(90)]  # the gap's open, not the stop


def test_an_entry_sent_outside_the_pipeline_is_protected_by_the_next_monitor_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The execution worker sent the entry (no pipeline ``execute`` saw its fill): the next
    monitor pass places the stop, and that stop gets the grace (it is on its way)."""
    monkeypatch.chdir(tmp_path)
    with scripted_kit() as (kit, market):
        trade_id = open_trade(kit, "0.5", stop="95", target="110", execute=False)
        assert kit.dispatcher.pop() is not None  # the queued execute is not run ...
        kit.tasks.deps.execution.execute(trade_id)  # ... the execution worker sends it
        assert _resting(kit) == {}
        next_bar(kit, market, 100, 101, 99, 100)
        result = kit.tasks.monitor()
        assert [(p["rule"], p["event"]) for p in result["protection"]] == [
            ("protect.stop", "placed"),
            ("protect.target", "placed"),
        ]
        assert not [a for a in result["actions"] if a["rule"] == "account.unprotected_position"]
        drain(kit)
        stop_id = _cid(kit, trade_id, OrderLeg.STOP_LOSS, "protect.stop", 0)
        assert stop_id in _resting(kit)
        assert kit.tasks.monitor()["open_positions"] == 1
