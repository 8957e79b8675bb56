"""Kill switch: blocks new orders at once, cancels every working order, lets only
risk-reducing orders out, survives a restart, lifted only by a named person. The fill
throttle disables a strategy until a person re-enables it."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from tests.unit.execution.execution_kit import intent_at, make_env

from quorum.domain import JournalKind, OrderLeg, OrderState, Side, TradingState
from quorum.execution import ExecutionService, ExecutionSettings
from quorum.execution.trading import write_trading_status
from quorum.store import session_factory, session_scope


def test_kill_switch_with_200_working_orders_blocks_at_once_and_cancels_within_5_s(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path)
    ids = []
    for i in range(200):
        order = env.stored(**intent_at(i), order_type="limit", price=Decimal(99))
        env.service.execute(order.client_order_id)
        ids.append(order.client_order_id)
    pending = env.stored(**intent_at(500))
    assert len(env.venue.open_orders()) == 200

    started = time.perf_counter()
    report = env.service.engage_kill_switch("alice", "drill")
    elapsed = time.perf_counter() - started
    blocked = env.store(**intent_at(501))

    assert elapsed < 5.0
    assert report.cancels_sent == 200
    assert report.cancel_failures == ()
    assert env.venue.open_orders() == []
    assert {env.service.order(cid).state for cid in ids} == {OrderState.CANCELLED}
    assert env.service.order(pending.client_order_id).state is OrderState.CANCELLED
    assert blocked.status == "refused"
    assert "kill switch" in blocked.reason
    change = env.journal.read(kinds=[JournalKind.KILL_SWITCH])[-1].payload
    assert (change["from"], change["to"], change["by"]) == ("active", "reducing", "alice")


def test_new_orders_are_blocked_within_a_second_of_engaging(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    order = env.stored(**intent_at(1))
    started = time.perf_counter()
    with env.service.ctx.sessions() as session, session.begin():
        env.service.ctx.controls.set_trading_state(session, TradingState.HALTED, "alice", "drill")

    done = env.service.execute(order.client_order_id)

    assert time.perf_counter() - started < 1.0
    assert done.state is OrderState.CANCELLED
    assert env.venue.stats.submits == 0


def test_the_kill_switch_survives_a_restart_and_needs_a_person_to_lift(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    env.service.engage_kill_switch("alice", "drill")
    restarted = ExecutionService(
        session_factory(env.engine), env.journal, env.clock, {"paper": env.broker}
    )

    assert restarted.trading_status().engaged
    with pytest.raises(ValueError, match="must name who made it"):
        restarted.release_kill_switch("  ")
    assert restarted.release_kill_switch("bob", "drill over")
    assert not env.service.trading_status().engaged


def test_under_the_kill_switch_only_a_risk_reducing_exit_is_sent(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    entry = env.stored(**intent_at(1), quantity=Decimal(1))
    env.service.execute(entry.client_order_id)
    env.service.engage_kill_switch("alice", "drill")

    exit_ = env.store(**intent_at(1), side=Side.SELL, leg=OrderLeg.EXIT, quantity=Decimal(1))
    too_big = env.store(**intent_at(2), side=Side.SELL, leg=OrderLeg.EXIT, quantity=Decimal(2))
    assert exit_.order is not None
    done = env.service.execute(exit_.order.client_order_id)

    assert too_big.status == "refused"
    assert done.state is OrderState.FILLED
    position = env.service.positions()[0]
    assert position.quantity == 0
    closed = env.journal.read(kinds=[JournalKind.POSITION])[-1].payload
    assert closed["reason"] == "exit"


def test_halted_sends_nothing_not_even_a_risk_reducing_exit(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    entry = env.stored(**intent_at(1), quantity=Decimal(1))
    env.service.execute(entry.client_order_id)
    assert env.service.set_trading_state(TradingState.HALTED, "alice", "drill")
    assert not env.service.set_trading_state(TradingState.HALTED, "alice", "again")

    exit_ = env.store(**intent_at(1), side=Side.SELL, leg=OrderLeg.EXIT, quantity=Decimal(1))

    assert exit_.status == "refused"
    assert "trading halted" in exit_.reason
    assert env.service.positions()[0].quantity == 1
    status = env.service.trading_status()
    assert (status.state, status.by, status.reason, status.version) == (
        TradingState.HALTED,
        "alice",
        "drill",
        1,
    )


def test_too_many_fills_disable_the_strategy_until_a_person_re_enables_it(tmp_path: Path) -> None:
    env = make_env(tmp_path, settings=ExecutionSettings(throttle_max_fills=3))
    for i in range(4):
        env.service.execute(env.stored(**intent_at(i)).client_order_id)

    blocked = env.store(**intent_at(10))
    assert env.service.disabled_strategies() == {"confluence"}
    assert blocked.status == "refused"
    assert "fill throttle" in blocked.reason
    with pytest.raises(ValueError, match="name the person"):
        env.service.enable_strategy("confluence", "")
    assert env.service.enable_strategy("confluence", "carol")
    assert env.store(**intent_at(11)).status == "stored"


def test_a_stale_trading_state_write_loses_its_compare_and_set(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert env.service.set_trading_state(TradingState.REDUCING, "alice", "drill")
    with session_scope(env.service.ctx.sessions) as session:
        now = env.clock.now()
        assert not write_trading_status(session, 0, TradingState.ACTIVE, "bob", "stale", now)
        assert not write_trading_status(session, 7, TradingState.ACTIVE, "bob", "stale", now)
    status = env.service.trading_status()
    assert (status.state, status.by, status.version) == (TradingState.REDUCING, "alice", 1)
